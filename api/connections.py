"""What the server bounds about a connection, below the application: how long a request may take to arrive,
how long a client may leave an answer unread, how many connections are open, and what is said when the
process has no file descriptor left to accept one.

uvicorn (its httptools protocol) closes a connection left idle after an answer (`timeout_keep_alive`), but has
no deadline for a request's headers or body, none for a connection that never sends a byte, none for a client
that stops reading (an answer then waits for it for ever), and no bound on the size of a request's headers
(llhttp has none; uvicorn's h11 protocol has one, but parses in Python, at several times the CPU per request).
`GuardedHttpToolsProtocol` adds them:

- a connection idle before its first request is closed after the keep-alive timeout, like one idle after an answer;
- from a request's first byte its headers must be complete within `header_timeout_s`, then its body within
  `body_timeout_s`, or the answer is 408 and the connection closed (a total, not a pause between bytes: a byte
  a second does not keep it open);
- a client that takes nothing of an answer for `send_timeout_s` is dropped (reset: what the kernel holds for it
  is freed);
- a connection beyond `max_connections` is answered 503 with Retry-After and closed at once;
- a request line and headers longer than `max_header_bytes` are answered 431 and the connection closed.

uvicorn's `limit_concurrency` counts connections and requests together and answers 503 without Retry-After,
so the cap on requests in progress is `api.guards.RequestLimits` instead.

When accept fails for want of file descriptors, asyncio logs a traceback for every pending connection, each
second (`AcceptFailures` reports it in one line every few seconds instead); `connection_cap` keeps the
connections below the descriptor limit so that it does not come to that.
"""

import asyncio
import logging
import resource
import socket
import struct
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("ctkg.api.connections")

RETRY_AFTER_S = 1
# Descriptors the server needs besides its connections: its listening socket, logs, the workers' pipes and a
# worker being replaced, files read for /health.
FD_RESERVE = 64
FD_PER_WORKER = 4
ACCEPT_REPORT_EVERY_S = 10.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    header_timeout_s: float
    body_timeout_s: float
    send_timeout_s: float
    max_header_bytes: int


def connection_cap(max_connections: int, query_workers: int) -> int:
    """The connections the server may hold: `max_connections`, raising the soft descriptor limit towards the
    hard one if need be, and at most what the limit leaves beside the server's own descriptors."""
    reserve = FD_RESERVE + FD_PER_WORKER * query_workers
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + reserve
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if raised > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft != resource.RLIM_INFINITY and soft - reserve < max_connections:
        cap = max(1, soft - reserve)
        log.warning("at most %d connections at once: the file descriptor limit is %d (ulimit -n); "
                    "CTKG_MAX_CONNECTIONS is %d", cap, soft, max_connections)
        return cap
    return max_connections


def _plain_answer(status: int, message: str, retry_after: bool = False) -> bytes:
    body = (message + "\n").encode()
    head = [f"HTTP/1.1 {status} {_REASONS[status]}",
            "content-type: text/plain; charset=utf-8", f"content-length: {len(body)}", "connection: close"]
    if retry_after:
        head.append(f"retry-after: {RETRY_AFTER_S}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


_REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the deadlines and the caps above (`limits`)."""

    def __init__(self, *args, limits: ConnectionLimits, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._reading: str | None = None  # "headers" or "body" while a deadline runs for it
        self._in_request = False  # from a request's first byte until its body is complete
        self._header_bytes = 0  # what has come of the request's line and headers
        self._deadline: asyncio.TimerHandle | None = None
        self._stalled: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(_plain_answer(503, "Too many connections are open; try again shortly.", retry_after=True))
            transport.close()
            return
        # uvicorn arms its idle timer only after an answer; a connection that never sends is idle too.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        if not self._in_request:
            self._in_request, self._header_bytes = True, 0
            self._expect("headers", self.limits.header_timeout_s)
        reading_headers = self._reading == "headers"
        super().data_received(data)
        # What came while the headers stayed incomplete is theirs (not the body's): llhttp does not buffer it,
        # but uvicorn keeps the URL and headers as they are parsed, so they are bounded here.
        if reading_headers and self._reading == "headers":
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
                self._cancel_deadline()
                self.transport.write(_plain_answer(431, "The request's line and headers are over "
                                                   f"{self.limits.max_header_bytes} bytes."))
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_request:  # a request pipelined behind the last one, in the same read
            self._in_request, self._header_bytes = True, 0
            self._expect("headers", self.limits.header_timeout_s)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None and not isinstance(self.cycle.transport, HeadWithBody):
            self.cycle.transport = HeadWithBody(self.transport)
        if any(name in (b"content-length", b"transfer-encoding") for name, _ in self.headers):
            self._expect("body", self.limits.body_timeout_s)  # cancelled at once if the body is empty
        else:
            self._cancel_deadline()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()
        self._in_request = False  # the next byte starts the next request (pipelined or kept alive)

    def _expect(self, what: str, timeout: float) -> None:
        self._cancel_deadline()
        self._reading = what
        self._deadline = self.loop.call_later(timeout, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._reading = None, None

    def _too_slow(self) -> None:
        what, timeout = self._reading, (self.limits.header_timeout_s if self._reading == "headers"
                                        else self.limits.body_timeout_s)
        self._deadline, self._reading = None, None
        if self.transport.is_closing():
            return
        cycle = self.cycle if what == "body" else None
        if cycle is None or not cycle.response_started:
            self.transport.write(_plain_answer(408, f"The request's {what} did not arrive within {timeout:g} s."))
        if cycle is not None:  # the route waiting for the body hears that the client has gone
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    def on_response_complete(self) -> None:
        if self.cycle is not None and isinstance(self.cycle.transport, HeadWithBody):
            self.cycle.transport.flush()  # an answer without a body (HEAD, 304)
        super().on_response_complete()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(self.limits.send_timeout_s, self._drop)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def _drop(self) -> None:
        """The client has taken nothing for `send_timeout_s`: reset the connection, discarding what is queued."""
        self._stalled = None
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None
        super().connection_lost(exc)


class HeadWithBody:
    """The connection as one request's answer writes to it: the status line and headers are held until the
    body's first bytes (or the answer's end), and both go out in one write: one system call here, and one
    wake-up of the client, not two. An interim answer (100 Continue) goes out at once."""

    __slots__ = ("_transport", "_held", "_started")

    def __init__(self, transport: asyncio.Transport):
        self._transport = transport
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if not self._started and not data.startswith(b"HTTP/1.1 1"):
            self._started, self._held = True, data
            return
        if self._held is not None:
            data, self._held = self._held + data, None
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str):  # is_closing, get_extra_info, ...: the connection's own
        return getattr(self._transport, name)


class AcceptFailures:
    """The event loop's exception handler: accept failing for want of descriptors is reported in one line
    every `ACCEPT_REPORT_EVERY_S` seconds (asyncio retries each second by itself); anything else as before."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self):
        self.failures = 0
        self.next_report = 0.0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if context.get("message") != self.MESSAGE:
            loop.default_exception_handler(context)
            return
        self.failures += 1
        now = loop.time()
        if now >= self.next_report:
            exc = context.get("exception")
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            log.error("cannot accept connections: %s (file descriptor limit %d); %d failed accepts since the last "
                      "report; accepting again each second", exc.strerror if isinstance(exc, OSError) else exc,
                      soft, self.failures)
            self.failures, self.next_report = 0, now + ACCEPT_REPORT_EVERY_S
