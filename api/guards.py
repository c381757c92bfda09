"""What stands in front of every route, as ASGI middleware: limits on requests in progress (per client, and
from all clients together), and the cancellation of a request whose client has gone.

- `ClientLimit` lets each client address have at most `settings.max_concurrent_per_client` requests in
  progress; the next one is answered 429 with `Retry-After` at once, before any work. Cheap routes that
  run no query (`/health`, the OpenAPI description) are not counted, so monitoring is never refused.
- `ServerLimit` lets all clients together have at most `settings.max_concurrent_requests` requests in
  progress (the same routes uncounted); the next one is answered 503 with `Retry-After`. uvicorn's own
  `limit_concurrency` would count open connections too and answer without `Retry-After`.
- `CancelOnDisconnect` watches for the client going away before its answer is sent and then cancels the
  request's task. Neither uvicorn nor Starlette does that for an ordinary route (the route runs to its end
  and its answer is dropped); cancelling the task makes `WorkerPool.run` kill the query's worker at once,
  instead of letting it burn CPU until the deadline.

The client address is the one uvicorn reports: the peer's, or the `X-Forwarded-For` set by a proxy named
in `CTKG_FORWARDED_ALLOW_IPS` (none by default). Behind a proxy not named there, every client shares the
proxy's address, and the limit applies to all of them together.
"""

import asyncio
import contextlib
import json
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Routes that run no query and answer at once.
UNCOUNTED = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/"})
RETRY_AFTER_S = 1


class ClientLimit:
    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit
        self.in_progress: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        if self.in_progress[client] >= self.limit:
            await refuse(scope, send, 429, f"Too many requests in progress from your address: at most {self.limit} "
                         "at once. Wait for an answer before sending the next request.")
            return
        self.in_progress[client] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_progress[client] -= 1
                if not self.in_progress[client]:
                    del self.in_progress[client]

        try:
            await self.app(scope, receive, _on_answered(send, release))
        finally:
            release()


class ServerLimit:
    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            await refuse(scope, send, 503, f"The server has as many requests in progress as it takes ({self.limit}); "
                         "try again shortly.")
            return
        self.in_progress += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_progress -= 1

        try:
            await self.app(scope, receive, _on_answered(send, release))
        finally:
            release()


def _on_answered(send: Send, answered) -> Send:
    """`send`, calling `answered()` once the answer's last byte is handed to the server: the request is then no
    longer in progress for its client, who may send the next one at once, before this task has unwound."""

    async def sending(message: Message) -> None:
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered()

    return sending


async def refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """Answer `status` with `Retry-After`, before any route runs."""
    # Plain text for the SPARQL endpoint, as its other errors; JSON like every other route's.
    if scope["path"].startswith("/sparql"):
        body, media_type = (message + "\n").encode(), b"text/plain; charset=utf-8"
    else:
        body, media_type = json.dumps({"detail": message}).encode(), b"application/json"
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", media_type), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": body})


class CancelOnDisconnect:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Watched(receive)
        answered = False

        async def send_watched(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True  # a disconnect from now on is the end of the exchange, not a client gone
            await send(message)

        route = asyncio.ensure_future(self.app(scope, request.receive, send_watched))
        watcher = asyncio.ensure_future(request.watch())
        try:
            await asyncio.wait({route, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if not route.done() and request.gone and not answered:
                route.cancel()  # the client has gone: stop its work (a running query's worker is killed)
            try:
                await route
            except asyncio.CancelledError:
                if not route.cancelled() or asyncio.current_task().cancelling():
                    raise  # this middleware is being cancelled (e.g. shutdown), not the route by us
        finally:
            for task in (watcher, route):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


class _Watched:
    """The request's side of the connection, read by one task: the body is handed to the route as it
    asks for it (never more than one message ahead, so a large body is not buffered here), and once the
    body is complete the next message can only be the client going away."""

    def __init__(self, receive: Receive):
        self._receive = receive
        self._messages: asyncio.Queue[Message] = asyncio.Queue(maxsize=1)
        self._gone = asyncio.Event()

    @property
    def gone(self) -> bool:
        return self._gone.is_set()

    async def watch(self) -> None:
        try:
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    return
                await self._messages.put(message)
        finally:  # a disconnect, or a connection that can no longer be read
            self._gone.set()

    async def receive(self) -> Message:
        if self._messages.empty() and self.gone:
            return {"type": "http.disconnect"}
        next_message = asyncio.ensure_future(self._messages.get())
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait({next_message, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not next_message.done():
                next_message.cancel()
        if next_message.done() and not next_message.cancelled():
            return next_message.result()
        return {"type": "http.disconnect"}
