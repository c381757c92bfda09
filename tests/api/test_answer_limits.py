"""Answers are bounded in bytes: one answer by `max_answer_bytes` (422 naming the limit), all the answers the
server holds at once by `answer_budget_bytes` (503 beyond it), and a client that stops reading is dropped after
`send_timeout_s`; meanwhile the server's memory stays bounded and /health answers.

Every test talks to `ctkg serve` on 127.0.0.1 (all of data/) of this module's own, with limits small enough
that an answer of a few megabytes meets them.
"""

import socket
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from tests.support.polling import wait_until
from tests.support.processes import peak_memory_of, resident_mb

from .conftest import MARGIN_S, ctkg_serve

MAX_ANSWER_BYTES = 20_000_000
BUDGET_BYTES = 24_000_000  # one answer of about 17 MB fits; two do not
SEND_TIMEOUT_S = 3.0
QUERY_TIMEOUT_S = 10.0  # time enough to write a 118 MB answer on a busy machine
LIMITS = {"max_answer_bytes": MAX_ANSWER_BYTES, "answer_budget_bytes": BUDGET_BYTES, "send_timeout_s": SEND_TIMEOUT_S,
          "query_timeout_s": QUERY_TIMEOUT_S}
# What the server may use beyond the answers it holds: buffers of the sockets, the chunks in flight, the
# allocator's slack.
SLACK_MB = 64
TCP_ESTABLISHED = 1


def big_answer(rows: int) -> str:
    """`rows` rows (7 or 49), each a 1,000-character string repeated 7 ** 4 times by nested CONCATs (2.4 MB): 17 MB
    or 118 MB from a query of about 1.4 KB."""
    binds = [f'BIND("{"x" * 1000}" AS ?v0)']
    binds += [f"BIND(CONCAT({', '.join([f'?v{level - 1}'] * 7)}) AS ?v{level})" for level in range(1, 5)]
    values = "VALUES ?i { 1 2 3 4 5 6 7 }" + (" VALUES ?j { 1 2 3 4 5 6 7 }" if rows == 49 else "")
    return f"SELECT ?v4 WHERE {{ {values} {' '.join(binds)} }}"


@pytest.fixture(scope="module")
def bounded(real_settings, tmp_path_factory) -> Iterator:
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("answers") / "server.log", **LIMITS) as running:
        yield running


@pytest.fixture(scope="module")
def holding(real_settings, tmp_path_factory) -> Iterator:
    """A server where a client that does not read keeps its answer for the whole test (a long send timeout),
    and one address may have as many requests in progress as the attack sends."""
    limits = {**LIMITS, "send_timeout_s": 120.0, "max_concurrent_per_client": 16}
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("held") / "server.log", **limits) as running:
        yield running


def send_only(port: int, query: str) -> socket.socket:
    """A client that sends a query and never reads (its receive buffer kept small, so the server soon has to wait)."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    client.sendall(f"GET /sparql?query={quote(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Accept: application/sparql-results+json\r\n\r\n".encode())
    return client


def answered(client: socket.socket) -> bool:
    """Whether the server has started an answer (or dropped the connection): peeked at, nothing read."""
    try:
        return bool(client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)) or True
    except BlockingIOError:
        return False
    except OSError:
        return True


def status_of(client: socket.socket) -> int:
    """The status code of the answer a client was sent (reads only its first bytes)."""
    client.settimeout(MARGIN_S)
    head = b""
    while b"\r\n" not in head:
        chunk = client.recv(64)
        if not chunk:
            return 0
        head += chunk
    return int(head.split(b" ", 2)[1])


def connected(client: socket.socket) -> bool:
    return client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_ESTABLISHED


def test_an_answer_over_the_byte_limit_is_refused_naming_the_limit(bounded):
    response = httpx.get(bounded.query_url, params={"query": big_answer(49)}, timeout=QUERY_TIMEOUT_S + MARGIN_S)
    assert response.status_code == 422, response.text[:300]
    assert response.headers["CTKG-Byte-Limit"] == str(MAX_ANSWER_BYTES)
    assert "CTKG-Row-Limit" not in response.headers
    assert f"{MAX_ANSWER_BYTES} bytes" in response.text


def test_twelve_unread_answers_leave_memory_bounded_and_health_up(holding):
    """The attack: 12 sockets from one address each ask for a 17 MB answer (under the answer limit) and never
    read. The budget lets the server hold one; the others are 503, and its memory stays bounded."""
    base = resident_mb(holding.pid)
    clients: list[socket.socket] = []
    try:
        with peak_memory_of([holding.pid]) as peak:
            clients = [send_only(holding.port, big_answer(7)) for _ in range(12)]
            wait_until(lambda: all(answered(c) for c in clients), timeout=12 * (QUERY_TIMEOUT_S + MARGIN_S),
                       what="every attacking request answered or dropped")
            for _ in range(5):
                assert httpx.get(holding.base + "/health", timeout=MARGIN_S).status_code == 200
        statuses = [status_of(c) for c in clients]
    finally:
        for client in clients:
            client.close()
    assert statuses.count(200) >= 1 and statuses.count(503) >= 10, statuses
    assert peak[0] - base < BUDGET_BYTES / 1e6 + SLACK_MB, f"the server grew from {base:.0f} to {peak[0]:.0f} MB"


def test_a_client_that_stops_reading_is_dropped_and_its_answer_released(bounded):
    query = big_answer(7)
    client = send_only(bounded.port, query)
    try:
        wait_until(lambda: not connected(client), timeout=QUERY_TIMEOUT_S + SEND_TIMEOUT_S + MARGIN_S,
                   what="the server dropping a client that does not read")
    finally:
        client.close()
    # Its share of the budget is free again: the same answer, read this time, comes whole.
    response = httpx.get(bounded.query_url, params={"query": query}, timeout=QUERY_TIMEOUT_S + MARGIN_S)
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["results"]["bindings"]
    assert [len(row["v4"]["value"]) for row in rows] == [1000 * 7 ** 4] * 7


def test_answers_beyond_the_budget_are_503_with_retry_after(holding):
    holder = send_only(holding.port, big_answer(7))  # holds about 17 MB of the 24 MB budget while it does not read
    try:
        wait_until(lambda: answered(holder), timeout=QUERY_TIMEOUT_S + MARGIN_S, what="the first answer started")
        response = httpx.get(holding.query_url, params={"query": big_answer(7)}, timeout=QUERY_TIMEOUT_S + MARGIN_S)
        assert response.status_code == 503, response.text[:300]
        assert response.headers["Retry-After"].isdigit()
    finally:
        holder.close()
