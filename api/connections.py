"""What the server bounds about a connection, below the application: how long a request may take to arrive,
how long a client may leave an answer unread, how many connections are open, and what is said when the
process has no file descriptor left to accept one.

uvicorn (its h11 protocol) closes a connection left idle after an answer (`timeout_keep_alive`), but has no
deadline for a request's headers or body, none for a connection that never sends a byte, and none for a client
that stops reading (an answer then waits for it for ever). `GuardedH11Protocol` adds them:

- a connection idle before its first request is closed after the keep-alive timeout, like one idle after an answer;
- from a request's first byte its headers must be complete within `header_timeout_s`, then its body within
  `body_timeout_s`, or the answer is 408 and the connection closed (a total, not a pause between bytes: a byte
  a second does not keep it open);
- a client that takes nothing of an answer for `send_timeout_s` is dropped (reset: what the kernel holds for it
  is freed);
- a connection beyond `max_connections` is answered 503 with Retry-After and closed at once.

uvicorn's `limit_concurrency` counts connections and requests together and answers 503 without Retry-After,
so the cap on requests in progress is `api.guards.ServerLimit` instead.

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

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

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


_REASONS = {408: "Request Timeout", 503: "Service Unavailable"}


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the deadlines and the cap above (`limits`)."""

    def __init__(self, *args, limits: ConnectionLimits, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._reading: str | None = None  # "headers" or "body" while a deadline runs for it
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
        if self._reading is None and self.conn.their_state is h11.IDLE:
            self._expect("headers", self.limits.header_timeout_s)
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def _follow(self) -> None:
        """Move the deadline along with the request: headers, then body, then none."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._reading != "body":
                self._expect("body", self.limits.body_timeout_s)
        elif state is not h11.IDLE:
            self._cancel_deadline()

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
