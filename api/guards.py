"""What stands in front of every route, as ASGI middleware: limits on requests in progress (per client, and
from all clients together), and the cancellation of a request whose client has gone.

- `RequestLimits` lets each client address have at most `settings.max_concurrent_per_client` requests in
  progress; the next one is answered 429 with `Retry-After` at once, before any work. All clients together
  may have at most `settings.max_concurrent_requests` in progress; the next one is answered 503 with
  `Retry-After` (uvicorn's own `limit_concurrency` would count open connections too and answer without it).
  Cheap routes that run no query (`/health`, the OpenAPI description) are not counted, so monitoring is never
  refused. The counts (`RequestsInProgress`) are shared with `api.replay`, which answers some requests before
  they reach this middleware and counts them the same way.
- `CancelOnDisconnect` watches for the client going away before its answer is sent and then cancels the
  request's task. Neither uvicorn nor Starlette does that for an ordinary route (the route runs to its end
  and its answer is dropped); cancelling the task makes `WorkerPool.run` kill the query's worker at once,
  instead of letting it burn CPU until the deadline.

The client address is the one uvicorn reports: the peer's, or the `X-Forwarded-For` set by a proxy named
in `CTKG_FORWARDED_ALLOW_IPS` (none by default). Behind a proxy not named there, every client shares the
proxy's address, and the limit applies to all of them together.
"""

import asyncio
import json
from collections import Counter
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Routes that run no query and answer at once.
UNCOUNTED = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/"})
RETRY_AFTER_S = 1


class RequestsInProgress:
    """The requests in progress, per client address and from all clients, and the limits on them; single-threaded
    (the event loop's). Shared by `RequestLimits` and `api.replay`, which stands outside it and counts here the
    requests it answers itself."""

    def __init__(self, per_client: int, total: int):
        self.per_client, self.total = per_client, total
        self.by_client: Counter[str] = Counter()
        self.all = 0

    @staticmethod
    def counted(scope: Scope) -> bool:
        return scope["type"] == "http" and scope["path"] not in UNCOUNTED

    @staticmethod
    def client(scope: Scope) -> str:
        return scope["client"][0] if scope.get("client") else "unknown"

    def refusal(self, client: str) -> tuple[int, str] | None:
        """The answer to one more request from `client`, when a limit is reached: the client's own first."""
        if self.by_client[client] >= self.per_client:
            return 429, (f"Too many requests in progress from your address: at most {self.per_client} at once. "
                         "Wait for an answer before sending the next request.")
        if self.all >= self.total:
            return 503, f"The server has as many requests in progress as it takes ({self.total}); try again shortly."
        return None

    def enter(self, client: str) -> Callable[[], None]:
        """Count one more request from `client`; returns what ends it (once, however often it is called)."""
        self.by_client[client] += 1
        self.all += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.all -= 1
                self.by_client[client] -= 1
                if not self.by_client[client]:
                    del self.by_client[client]

        return release


class RequestLimits:
    def __init__(self, app: ASGIApp, in_progress: RequestsInProgress):
        self.app = app
        self.in_progress = in_progress

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not RequestsInProgress.counted(scope):
            await self.app(scope, receive, send)
            return
        client = RequestsInProgress.client(scope)
        refusal = self.in_progress.refusal(client)
        if refusal is not None:
            await refuse(scope, send, *refusal)
            return
        release = self.in_progress.enter(client)
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
        # The route runs in this request's own task, which the watcher cancels if the client goes: no task of
        # its own, and no queue or `asyncio.wait` between it and the connection.
        request = _Watched(receive, asyncio.current_task(), route_reads_body=scope["method"] == "POST")

        async def send_watched(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                request.answered = True  # a disconnect from now on is the end of the exchange, not a client gone
            await send(message)

        try:
            await self.app(scope, request.receive, send_watched)
        except asyncio.CancelledError:
            # Cancelled by the watcher alone: the client has gone, and the route has stopped (a running query's
            # worker is killed). Cancelled from elsewhere too (the server shuts down): that goes on.
            if not request.cancelled or request.task.uncancel():
                raise
        else:
            if request.cancelled:  # the route ended all the same: the watcher's cancellation is void
                request.task.uncancel()
        finally:
            request.close()


class _Watched:
    """The request's side of the connection, and a watcher task that waits for the client going away once the
    body is complete (the next message can then be nothing else). It cancels the request's task (`task`) if the
    answer has not been sent by then; the route asking again hears of the disconnect.

    A POST's route reads its body itself, at once (`/sparql`, the one POST route; a POST route added later must
    read its body, or refuse at once, since until it does nothing watches), and the watcher starts when the body
    is complete: no hand-over between two tasks for each request. Any other request's body, which no
    route here reads, is read by the watcher from the start and handed to the route if it asks, holding at
    most one message the route has not taken (a large body is not buffered here), so that a body nobody reads
    does not stop the watching."""

    def __init__(self, receive: Receive, task: asyncio.Task, route_reads_body: bool):
        loop = asyncio.get_running_loop()
        self._receive, self.task = receive, task
        self.answered = False  # the answer's last byte has been handed to the server
        self.cancelled = False  # the watcher cancelled the task
        self._passing = route_reads_body  # the route reads the body from the connection, until it is complete
        self._held: Message | None = None  # a message read for the route, not yet taken
        self._asking: asyncio.Future | None = None  # the route, waiting for a message
        self._taken: asyncio.Future | None = None  # the watcher, waiting for the route to take `_held`
        self._gone = loop.create_future()
        self._watcher = None if route_reads_body else asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        try:
            while (message := await self._receive())["type"] != "http.disconnect":
                if self._held is not None:  # one message ahead of the route at most
                    self._taken = asyncio.get_running_loop().create_future()
                    await self._taken
                if self._asking is not None and not self._asking.done():
                    self._asking.set_result(message)
                else:
                    self._held = message
        finally:  # a disconnect, or a connection that can no longer be read
            self._gone.set_result(None)
            if self._asking is not None and not self._asking.done():
                self._asking.set_result(DISCONNECT)
            if not self.answered and not self.task.done():
                self.cancelled = True
                self.task.cancel()

    async def receive(self) -> Message:
        if self._passing:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._passing = False
                self._gone.set_result(None)
            elif not message.get("more_body", False):
                self._passing = False
                self._watcher = asyncio.ensure_future(self._watch())
            return message
        if self._held is not None:
            message, self._held = self._held, None
            if self._taken is not None and not self._taken.done():
                self._taken.set_result(None)
            return message
        if self._gone.done():
            return DISCONNECT
        self._asking = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.shield(self._asking)
        finally:
            self._asking = None

    def close(self) -> None:
        if self._watcher is not None and not self._watcher.done():
            self.answered = True  # the route is over: nothing left to cancel
            self._watcher.cancel()


DISCONNECT: Message = {"type": "http.disconnect"}
