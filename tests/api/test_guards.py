"""The guards in front of every route (`api.guards`): the per-client limit on requests in progress (429), and
a client that goes away, whose query's worker is killed at once. Each test talks to a real `ctkg serve` on
127.0.0.1 of this module's own, with the guarded settings (a 6 s time limit, 2 requests at once per client):
every test here has workers killed."""

import socket
import time

import httpx
import pytest

from tests.support.polling import wait_until
from tests.support.processes import busy_worker, cpu_seconds, is_dead
from tests.support.queries import RUNAWAY, run
from tests.support.servers import CtkgServer
from tests.support.threads import InThread

from .conftest import GUARDED, MARGIN_S, NEVER_ENDS, assert_no_leak

GONE_S = 1.0  # a client that goes away has its worker killed within this


# --- too many requests at once from one client -----------------------------------------------------

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


# --- a client that goes away ---------------------------------------------------------------------------

def _hang_up_raw(server: CtkgServer, method: str, running) -> int:
    """Send the runaway query on a socket, and close it once a worker runs the query; returns that worker."""
    query = httpx.QueryParams({"query": RUNAWAY})
    if method == "GET":
        request = f"GET /sparql?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    elif method == "GET with a body":  # a body the route never reads must not hide the client's leaving
        request = f"GET /sparql?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx".encode()
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
                                                 (_hang_up_raw, "GET with a body"), (_give_up_httpx, "GET")])
@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_client_that_goes_away_has_its_worker_killed_within_a_second(guarded, hang_up, method):
    workers = guarded.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    running = hang_up(guarded, method, lambda: busy_worker(workers, cpu_before, cpu=0.1))
    gone_at = time.monotonic()  # the connection is closed
    wait_until(lambda: is_dead(running), timeout=GUARDED["query_timeout_s"] + MARGIN_S,
               what=f"worker {running} ending after its client left")
    killed_after = time.monotonic() - gone_at
    assert killed_after <= GONE_S + MARGIN_S, f"worker {running} ended {killed_after:.2f} s after the client left"
    # the client's leaving ended it, not the time limit (the pool logs a kill at the deadline before the kill)
    assert f"worker {running} killed" not in guarded.log_tail(None)
    guarded.wait_ready()
    assert httpx.get(f"{guarded.base}/products").status_code == 200  # and its allowance was given back
