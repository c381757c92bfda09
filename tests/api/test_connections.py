"""Connections are bounded: an idle one is closed, a request whose headers or body come too slowly is 408, the
connections and the requests in progress are capped (503 with Retry-After), a killed worker is replaced while
/health says the pool is degraded, and when file descriptors run out the server says so briefly and its pool
is whole again once they are back.

The tests talk to `ctkg serve` on 127.0.0.1 (all of data/) with short timeouts and small caps; the last one
to a server of its own, started with few file descriptors.
"""

import os
import signal
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.polling import wait_until
from tests.support.queries import RUNAWAY, run
from tests.support.threads import InThread

from .conftest import MARGIN_S, NEVER_ENDS, TIMEOUT_S, ctkg_serve

KEEP_ALIVE_S = 2.0
HEADER_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 3.0
MAX_CONNECTIONS = 12
MAX_REQUESTS = 3
LIMITS = {"keep_alive_timeout_s": KEEP_ALIVE_S, "header_timeout_s": HEADER_TIMEOUT_S,
          "body_timeout_s": BODY_TIMEOUT_S, "max_connections": MAX_CONNECTIONS,
          "max_concurrent_requests": MAX_REQUESTS}
DRIP_S = 0.25  # a slow client's pause between two bytes


@pytest.fixture(scope="module")
def bounded(real_settings, tmp_path_factory) -> Iterator:
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("connections") / "server.log", **LIMITS) as running:
        yield running


@pytest.fixture
def server(bounded):
    bounded.wait_ready()
    return bounded


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=MARGIN_S)


def read_until(client: socket.socket, marker: bytes, timeout: float) -> bytes:
    """What the server sends up to `marker` (less if it closes first); TimeoutError if nothing comes in time."""
    client.settimeout(timeout)
    received = b""
    while marker not in received:
        chunk = client.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def first_line(client: socket.socket, timeout: float) -> bytes:
    """The status line of what the server sends (b"" if it closes without a word)."""
    return read_until(client, b"\r\n", timeout).split(b"\r\n")[0]


def headers_of(client: socket.socket, timeout: float) -> bytes:
    return read_until(client, b"\r\n\r\n", timeout).lower()


class Drip:
    """A client sending `data` a byte at a time, `DRIP_S` apart, until it is all sent or the server closes."""

    def __init__(self, client: socket.socket, data: bytes):
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._send, args=(client, data), daemon=True)
        self._thread.start()

    def _send(self, client: socket.socket, data: bytes) -> None:
        for byte in data:
            try:
                client.send(bytes([byte]))
            except OSError:
                return
            if self.stop.wait(DRIP_S):
                return

    def close(self) -> None:
        self.stop.set()
        self._thread.join(5)


def test_an_idle_connection_is_closed(server):
    with connect(server.port) as client:
        assert first_line(client, KEEP_ALIVE_S + MARGIN_S) == b""


@pytest.mark.parametrize("request_text", [
    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nUser-Agent: slow\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
    b"Content-Length: 40\r\n\r\nASK { ?s ?p ?o }                        ",
], ids=["headers", "body"])
def test_a_request_sent_too_slowly_is_408(server, request_text):
    headers, _, body = request_text.partition(b"\r\n\r\n")
    with connect(server.port) as client:
        if body:  # the headers at once, then the body a byte at a time
            client.sendall(headers + b"\r\n\r\n")
            drip, deadline = Drip(client, body), BODY_TIMEOUT_S
        else:
            drip, deadline = Drip(client, request_text), HEADER_TIMEOUT_S
        try:
            assert first_line(client, deadline + MARGIN_S) == b"HTTP/1.1 408 Request Timeout"
        finally:
            drip.close()


def test_connections_beyond_the_cap_are_refused(server):
    clients = [connect(server.port) for _ in range(MAX_CONNECTIONS)]
    try:
        with connect(server.port) as refused:
            head = headers_of(refused, MARGIN_S)
            assert head.startswith(b"http/1.1 503"), head
            assert b"\r\nretry-after: " in head
    finally:
        for client in clients:
            client.close()
    wait_until(lambda: httpx.get(server.base + "/health", timeout=MARGIN_S).status_code == 200, timeout=MARGIN_S,
               what="a connection accepted once the others closed")


def test_requests_beyond_the_cap_in_progress_are_503(server):
    # Requests in progress, each waiting for a body that does not come (until the body timeout).
    waiting = [connect(server.port) for _ in range(MAX_REQUESTS)]
    try:
        for client in waiting:
            client.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                           b"Content-Length: 100\r\n\r\nASK")
        def refused() -> httpx.Response | None:
            response = run(server.base, "ASK {}", timeout=MARGIN_S)
            return response if response.status_code == 503 and "requests in progress" in response.text else None

        assert wait_until(refused, timeout=BODY_TIMEOUT_S, what="a request beyond the cap refused").headers[
            "Retry-After"].isdigit()
        assert httpx.get(server.base + "/health", timeout=MARGIN_S).status_code == 200  # never refused
    finally:
        for client in waiting:
            client.close()


def test_a_killed_worker_is_replaced_and_health_says_degraded_meanwhile(server):
    killed = server.workers()[0]
    os.kill(killed, signal.SIGKILL)
    degraded = wait_until(lambda: (h := server.health()) and h["status"] == "degraded" and h, timeout=MARGIN_S,
                          what="/health saying degraded")
    assert degraded["workers_idle"] < degraded["workers_wanted"]
    response = httpx.get(server.base + "/health", timeout=MARGIN_S)
    assert response.status_code == 200  # degraded still answers
    wait_until(lambda: (h := server.health()) and h["status"] == "ok" and h["workers_idle"] == 2, timeout=30,
               what="the pool whole again")
    assert killed not in server.workers()


FD_LIMIT = 256
SOCKETS = 300
LOG_BYTES = 200_000  # a few lines of warning, not a traceback per refused connection
RECOVERY_S = 20.0  # a new worker imports rdflib and pyoxigraph and opens the store before it is ready


@pytest.mark.embedded_only(NEVER_ENDS)
def test_the_pool_is_whole_again_after_file_descriptors_ran_out(real_settings, tmp_path):
    log = tmp_path / "server.log"
    with ctkg_serve(real_settings, log, fd_limit=FD_LIMIT, max_connections=10 * FD_LIMIT) as server:
        runaways = [InThread(lambda: run(server.base, RUNAWAY, timeout=TIMEOUT_S + MARGIN_S)) for _ in range(2)]
        wait_until(lambda: (h := server.health()) and h["workers_idle"] == 0, timeout=MARGIN_S,
                   what="both workers busy with the runaway queries")
        sockets: list[socket.socket] = []
        try:
            for _ in range(SOCKETS):
                client = socket.socket()
                client.setblocking(False)
                client.connect_ex(("127.0.0.1", server.port))
                sockets.append(client)
            # Their workers are killed at the deadline while descriptors are short. (Connections past the cap
            # may wait in the kernel's backlog rather than be refused: the cap's 503 is tested on its own above.)
            for query in runaways:
                assert query.result(TIMEOUT_S + 2 * MARGIN_S).status_code == 503
        finally:
            for client in sockets:
                client.close()
        health = wait_until(lambda: (h := server.health()) and h["status"] == "ok" and h["workers_idle"] == 2 and h,
                            timeout=RECOVERY_S, what="the pool whole again, without a restart")
        assert health["workers"] == 2
        server.alive()
    assert log.stat().st_size < LOG_BYTES, f"the log grew to {log.stat().st_size} bytes"
