"""The answers the server holds on their way from a worker to a client: the budget they share
(`settings.answer_budget_bytes`), and the response that streams one out and gives its share back.

A worker announces an answer's size before sending it (`api.pool`); the server takes that many bytes of the
budget, or answers 503 when they are not free. The answer then crosses the pipe in chunks, at the pipe's
speed, so that the worker is free for the next query at once rather than held by a slow client; the response
writes the chunks to the client as it reads them, dropping each once written, and frees the answer's share
when it ends (answered, failed, or its client dropped after `settings.send_timeout_s`, see `api.connections`).
"""

from collections import deque

from starlette.types import Receive, Scope, Send

from .jobs import QueryAnswer


class AnswerBudget:
    """Bytes of answers the server may hold at once; single-threaded (the event loop's)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_use = 0

    def reserve(self, size: int) -> "Reservation | None":
        """A share of `size` bytes, or None when they are not free."""
        if self.in_use + size > self.limit:
            return None
        self.in_use += size
        return Reservation(self, size)


class Reservation:
    def __init__(self, budget: AnswerBudget, size: int):
        self._budget, self.size = budget, size

    def release(self) -> None:
        if self._budget is not None:
            self._budget.in_use -= self.size
            self._budget = None

    def __del__(self) -> None:  # a response that was never sent (its request cancelled) still gives its share back
        self.release()


class HeldAnswer:
    """An answer the server holds: its head (what the worker said of it) and its body, in chunks."""

    def __init__(self, head: QueryAnswer, chunks: list[bytes], reservation: Reservation):
        self.head, self.chunks, self.reservation = head, deque(chunks), reservation

    def body(self) -> bytes:
        """The whole body, and the share given back (for the API's own queries, whose answers are parsed)."""
        try:
            return b"".join(self.chunks)
        finally:
            self.chunks.clear()
            self.reservation.release()


    def whole(self) -> bytes:
        """The whole body, kept to be sent as one chunk: its share stays held until it is."""
        body = b"".join(self.chunks)
        self.chunks.clear()
        if body:
            self.chunks.append(body)
        return body


class AnswerResponse:
    """Streams a held answer to the client, a chunk at a time (uvicorn waits for the client to take each);
    an ASGI response, with the headers (lower-case bytes) given beside Content-Type and Content-Length."""

    def __init__(self, answer: HeldAnswer, headers: list[tuple[bytes, bytes]] | None = None):
        self.answer = answer
        self.raw_headers = [*(headers or []), (b"content-type", answer.head.media_type.encode()),
                            (b"content-length", str(answer.head.size).encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = self.answer.chunks
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            while chunks:
                chunk = chunks.popleft()
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunks)})
                del chunk
            if not self.answer.head.size:
                await send({"type": "http.response.body", "body": b""})
        finally:
            chunks.clear()
            self.answer.reservation.release()
