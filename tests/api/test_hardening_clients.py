"""Issue 5, items 5, 8 and 9: a worker's memory cap, the per-client limit, a client that goes away, and
the server's own end (SIGTERM, and SIGKILL), each against a real `ctkg serve` on 127.0.0.1 of this module's
own (every test here has workers killed) or of the test's own (a test that ends its server)."""

import signal
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.polling import wait_until
from tests.support.processes import children, cpu_seconds, is_dead, peak_memory_of
from tests.support.servers import CtkgServer
from tests.support.threads import InThread

from .conftest import MARGIN_S, NEVER_ENDS, TIMEOUT_S, assert_no_leak, ctkg_serve
from .test_hardening_queries import RUNAWAY, SORTED_CROSS_PRODUCT, busy_worker, run

GUARDED = {"query_timeout_s": 6, "worker_memory_mb": 640, "max_concurrent_per_client": 2, "query_workers": 2}
GONE_S = 1.0  # a client that goes away has its worker killed within this


@pytest.fixture(scope="module")
def guarded_server(real_settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """All of data/ served with a 6 s time limit, a 640 MB memory cap per worker, and 2 requests at once
    per client."""
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("guarded") / "server.log", **GUARDED) as server:
        yield server


@pytest.fixture
def guarded(guarded_server) -> CtkgServer:
    """The guarded server with every worker up and idle again, whatever the test before had killed."""
    guarded_server.wait_ready()
    return guarded_server


# --- 5. The memory cap stops a query before the deadline does ----------------------------------------

@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_query_that_needs_more_memory_than_the_cap_stops_its_worker_only(guarded):
    with peak_memory_of(guarded.workers()) as peak:
        response = run(guarded.base, SORTED_CROSS_PRODUCT)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "640 MB" in response.text and "time limit" not in response.text  # the cap stopped it, not the deadline
    assert 0 < peak[0] <= GUARDED["worker_memory_mb"]
    assert_no_leak(response)
    assert guarded.process.poll() is None
    guarded.wait_ready()
    assert run(guarded.base, "ASK { ?s ?p ?o }").json()["boolean"] is True


# --- 8. Too many requests at once from one client --------------------------------------------------

@pytest.mark.embedded_only(NEVER_ENDS)
def test_too_many_requests_at_once_from_one_client_is_429(guarded):
    holders = [InThread(lambda: run(guarded.base, RUNAWAY)) for _ in range(GUARDED["max_concurrent_per_client"])]
    # /health is never counted, so it can watch
    wait_until(lambda: httpx.get(f"{guarded.base}/health").json()["workers_idle"] == 0,
               timeout=GUARDED["query_timeout_s"], what="both workers running the client's queries")
    for refused in (httpx.get(f"{guarded.base}/sparql", params={"query": "ASK {}"}),
                    httpx.get(f"{guarded.base}/products"), httpx.get(f"{guarded.base}/id/authority/fda")):
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "at most 2" in refused.text
        assert_no_leak(refused)
    # another address has its own allowance (127.0.0.2 reaches the server over the loopback too)
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
        assert elsewhere.get(f"{guarded.base}/sparql").status_code == 200  # the service description
    assert httpx.get(f"{guarded.base}/health").status_code == 200
    answers = [holder.result(GUARDED["query_timeout_s"] + MARGIN_S + 10) for holder in holders]
    assert [a.status_code for a in answers] == [503, 503]
    guarded.wait_ready()
    assert httpx.get(f"{guarded.base}/products").status_code == 200  # the allowance is back


# --- 9. A client that goes away ------------------------------------------------------------------------

def _hang_up_raw(server: CtkgServer, method: str, running) -> int:
    """Send the runaway query on a socket, and close it once a worker runs the query; returns that worker."""
    query = httpx.QueryParams({"query": RUNAWAY})
    if method == "GET":
        request = f"GET /sparql?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    else:
        body = str(query).encode()
        request = (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(request)
        return wait_until(running, timeout=GUARDED["query_timeout_s"], what="a worker running the query")


def _give_up_httpx(server: CtkgServer, _: str, running) -> int:
    """httpx with a read timeout of 2 s, less than the server's time limit: the client gives up first."""
    request = InThread(lambda: run(server.base, RUNAWAY, timeout=2.0))
    worker = wait_until(running, timeout=GUARDED["query_timeout_s"], what="a worker running the query")
    with pytest.raises(httpx.ReadTimeout):
        request.result(GUARDED["query_timeout_s"])
    return worker


@pytest.mark.parametrize(("hang_up", "method"), [(_hang_up_raw, "GET"), (_hang_up_raw, "POST"),
                                                 (_give_up_httpx, "GET")])
@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_client_that_goes_away_has_its_worker_killed_within_a_second(guarded, hang_up, method):
    workers = guarded.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    started = time.monotonic()
    running = hang_up(guarded, method, lambda: busy_worker(workers, cpu_before, cpu=0.1))
    gone_at = time.monotonic()  # the connection is closed
    wait_until(lambda: is_dead(running), timeout=GUARDED["query_timeout_s"] + MARGIN_S,
               what=f"worker {running} ending after its client left")
    killed_after = time.monotonic() - gone_at
    assert killed_after <= GONE_S + MARGIN_S, f"worker {running} ended {killed_after:.2f} s after the client left"
    # the time limit would have ended it later: the client's leaving did
    assert time.monotonic() - started < GUARDED["query_timeout_s"]
    guarded.wait_ready()
    assert httpx.get(f"{guarded.base}/products").status_code == 200  # and its allowance was given back


# --- 9. The server's own end ----------------------------------------------------------------------------

@pytest.fixture
def doomed(real_settings, tmp_path) -> Iterator[CtkgServer]:
    """A server of its own, for a test that ends it (2 s time limit)."""
    with ctkg_serve(real_settings, tmp_path / "server.log") as server:
        yield server


def _start_runaway(server: CtkgServer) -> InThread:
    """The runaway query on a thread, returned once a worker runs it."""
    workers = server.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    query = InThread(lambda: run(server.base, RUNAWAY, timeout=30))
    wait_until(lambda: busy_worker(workers, cpu_before, cpu=0.1), timeout=TIMEOUT_S + MARGIN_S,
               what="a worker running the query")
    return query


@pytest.mark.embedded_only(NEVER_ENDS)
def test_sigterm_ends_the_server_within_the_deadline_even_with_a_query_running(doomed):
    workers = doomed.workers()
    started = time.monotonic()
    query = _start_runaway(doomed)
    doomed.process.send_signal(signal.SIGTERM)
    doomed.process.wait(TIMEOUT_S + MARGIN_S + 10)
    ended = time.monotonic() - started
    response = query.result(10)
    # the server waits for the running query's deadline at most (the tests' 2 s time limit)
    assert ended <= TIMEOUT_S + MARGIN_S, f"the server took {ended:.2f} s to end"
    assert response.status_code == 503  # the running query got its answer before the end
    assert all(is_dead(pid) for pid in workers) and not children(doomed.pid)


@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_killed_server_leaves_no_query_running(doomed):
    workers = doomed.workers()
    query = _start_runaway(doomed)
    doomed.process.kill()
    doomed.process.wait(5)
    with pytest.raises(httpx.HTTPError):  # its connection ended with the server
        query.result(10)
    wait_until(lambda: all(is_dead(pid) for pid in workers), timeout=MARGIN_S, what="every worker ending with "
               "its server (a worker outlived its server)")
