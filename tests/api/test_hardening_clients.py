"""Issue 5, items 5, 8 and 9: a worker's memory cap, the per-client limit, a client that goes away, and
the server's own end (SIGTERM, and SIGKILL), each against a real `ctkg serve` on 127.0.0.1."""

import signal
import socket
import threading
import time

import httpx
import pytest

from .conftest import (
    NEVER_ENDS, ServerProcess, assert_no_leak, children, cpu_seconds, is_dead, peak_memory_of, running_server,
)
from .test_hardening_queries import RUNAWAY, SORTED_CROSS_PRODUCT, busiest, run

GUARDED = {"query_timeout_s": 4, "worker_memory_mb": 640, "max_concurrent_per_client": 2, "query_workers": 2}


@pytest.fixture(scope="module")
def guarded(real_settings, tmp_path_factory):
    """All of data/ served with a 4 s time limit, a 640 MB memory cap per worker, and 2 requests at once
    per client."""
    with running_server(real_settings.store_dir, tmp_path_factory.mktemp("guarded") / "server.log",
                        **GUARDED) as server:
        yield server


# --- 5. The memory cap stops a query before the deadline does ----------------------------------------

@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_query_that_needs_more_memory_than_the_cap_stops_its_worker_only(guarded):
    guarded.wait_ready()
    started = time.monotonic()
    with peak_memory_of(guarded.workers()) as peak:
        response = run(guarded.base, SORTED_CROSS_PRODUCT)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and "640 MB" in response.text and response.headers["retry-after"]
    assert elapsed < GUARDED["query_timeout_s"]  # the cap, not the deadline, stopped it
    assert 0 < peak[0] <= GUARDED["worker_memory_mb"]
    assert_no_leak(response)
    assert guarded.process.poll() is None
    guarded.wait_ready()
    assert run(guarded.base, "ASK { ?s ?p ?o }").json()["boolean"] is True


# --- 8. Too many requests at once from one client --------------------------------------------------

@pytest.mark.embedded_only(NEVER_ENDS)
def test_too_many_requests_at_once_from_one_client_is_429(guarded):
    guarded.wait_ready()
    answers: list[httpx.Response] = []
    holders = [threading.Thread(target=lambda: answers.append(run(guarded.base, RUNAWAY)))
               for _ in range(GUARDED["max_concurrent_per_client"])]
    for holder in holders:
        holder.start()
    deadline = time.monotonic() + 3
    while httpx.get(f"{guarded.base}/health").json()["workers_idle"] > 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # /health is never counted, so it can watch
    for refused in (httpx.get(f"{guarded.base}/sparql", params={"query": "ASK {}"}),
                    httpx.get(f"{guarded.base}/products"), httpx.get(f"{guarded.base}/id/authority/fda")):
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "at most 2" in refused.text
        assert_no_leak(refused)
    # another address has its own allowance (127.0.0.2 reaches the server over the loopback too)
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
        assert elsewhere.get(f"{guarded.base}/sparql").status_code == 200  # the service description
    assert httpx.get(f"{guarded.base}/health").status_code == 200
    for holder in holders:
        holder.join(GUARDED["query_timeout_s"] + 5)
    assert [a.status_code for a in answers] == [503, 503]
    guarded.wait_ready()
    assert httpx.get(f"{guarded.base}/products").status_code == 200  # the allowance is back


# --- 9. A client that goes away ------------------------------------------------------------------------

def _hang_up_raw(server: ServerProcess, method: str) -> None:
    query = httpx.QueryParams({"query": RUNAWAY})
    if method == "GET":
        request = f"GET /sparql?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    else:
        body = str(query).encode()
        request = (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(request)
        time.sleep(1.0)


def _give_up_httpx(server: ServerProcess, _: str) -> None:
    with pytest.raises(httpx.ReadTimeout):
        run(server.base, RUNAWAY, timeout=1.0)


@pytest.mark.parametrize(("hang_up", "method"), [(_hang_up_raw, "GET"), (_hang_up_raw, "POST"),
                                                 (_give_up_httpx, "GET")])
@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_client_that_goes_away_has_its_worker_killed_within_a_second(guarded, hang_up, method):
    guarded.wait_ready()
    workers = guarded.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    hang_up(guarded, method)  # returns once the connection is closed, the query having run ~1 s
    gone_at = time.monotonic()
    running = busiest(workers, cpu_before)
    assert cpu_seconds(running) - cpu_before[running] > 0.3  # it was running the query
    while not is_dead(running) and time.monotonic() < gone_at + 1.0:
        time.sleep(0.02)
    assert is_dead(running), f"worker {running} still runs {time.monotonic() - gone_at:.2f} s after the client left"
    assert time.monotonic() - gone_at < 1.0
    guarded.wait_ready()
    assert httpx.get(f"{guarded.base}/products").status_code == 200  # and its allowance was given back


# --- 9. The server's own end ----------------------------------------------------------------------------

@pytest.fixture
def doomed(real_settings, tmp_path):
    """A server of its own, for a test that ends it (2 s time limit)."""
    server = ServerProcess(real_settings.store_dir, tmp_path / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _start_runaway(server: ServerProcess) -> tuple[threading.Thread, dict]:
    answer: dict = {}

    def runaway() -> None:
        try:
            answer["response"] = run(server.base, RUNAWAY, timeout=10)
        except httpx.HTTPError as exc:
            answer["error"] = exc

    thread = threading.Thread(target=runaway)
    thread.start()
    deadline = time.monotonic() + 3
    while httpx.get(f"{server.base}/health").json()["workers_idle"] == 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.8)  # well into the query: it has a little over a second left
    return thread, answer


@pytest.mark.embedded_only(NEVER_ENDS)
def test_sigterm_ends_the_server_within_the_deadline_even_with_a_query_running(doomed):
    workers = doomed.workers()
    thread, answer = _start_runaway(doomed)
    doomed.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    doomed.process.wait(15)
    ended = time.monotonic() - signalled
    thread.join(5)
    assert ended <= 2.0, f"the server took {ended:.2f} s to end"  # the 2 s time limit of the tests
    assert answer["response"].status_code == 503  # the running query got its answer before the end
    assert all(is_dead(pid) for pid in workers) and not children(doomed.pid)


@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_killed_server_leaves_no_query_running(doomed):
    workers = doomed.workers()
    thread, _ = _start_runaway(doomed)
    doomed.process.kill()
    killed = time.monotonic()
    doomed.process.wait(5)
    thread.join(5)
    while not all(is_dead(pid) for pid in workers) and time.monotonic() < killed + 1.0:
        time.sleep(0.02)
    assert all(is_dead(pid) for pid in workers), "a worker outlived its server"
