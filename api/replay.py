"""Replayed answers: the whole response the app sent for a `/sparql` request, sent again for the same request
without going into the app.

`ReplayAnswers` is the outermost ASGI middleware. A repeated query already skips the workers (`api.cache`), but
it still goes through every middleware, the router and the endpoint's form parsing and normalisation, which cost
more than the rest of a warm request together (bench/README.md). This keeps, for a request it can read whole
(a GET, or a POST of a form or a query whose body says its length and is at most `MAX_BODY` bytes), the status,
headers and body the app answered, under the request as it came: method, path, query string, body, and the
request headers an answer depends on (`Accept`, `Content-Type`, `Origin`; one not sent is keyed apart from one
sent empty). It keeps only answers the endpoint marks with an `ETag`, as it marks those for the answer cache:
whole answers that met every limit of this server, for a query under the size limit (the same bytes, read the
same way, are under it again). A request that sends one of those headers, `If-None-Match` or `Content-Length`
twice (the app reads the first; a proxy may have read the other), or that has a `Cookie` (no answer made for a
request with credentials is shared), `Transfer-Encoding` or `Cache-Control: no-…`, is passed on, as is anything
else.

A replayed answer is sent only while its build is the store's current one (one readlink; the first request that
sees a new build empties the replays, as `api.cache.CurrentBuild` empties the answer cache), with a 304 for an
`If-None-Match` naming its tag, as the endpoint does. While it reads a body and sends an answer, a request is
counted among those in progress (`api.guards.RequestsInProgress`), as inside the app; one over a limit is passed
on, for the app to refuse. A replayed answer holds its share of the answer budget while it is sent. The replays
are bounded in bytes (`Settings.replay_cache_bytes`, least recently used out; 0 turns them off).
"""

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .answers import AnswerBudget
from .cache import AnswerCache, CachedAnswer, CurrentBuild, matches
from .guards import RequestsInProgress
from .routes.sparql import BUILD_HEADER_RAW, QUERY_BODIES

PATH = "/sparql"
MAX_BODY = 16_384  # a POST's body larger than this is passed on unread
REPLAY_OVERHEAD = 1_000  # a kept response's objects beside its bytes: the key, the entry, the dict slot
HEADER_OVERHEAD = 120  # a response header's tuple and two bytes objects, beside their bytes
# The request headers an answer of the app depends on, besides method, path, query string and body.
_KEYED = (b"accept", b"content-type", b"origin")
# Request headers that make the app answer otherwise than a replay would.
_PASSED_ON = (b"cookie", b"transfer-encoding")
_READ = tuple(media_type.encode() for media_type in QUERY_BODIES)  # the bodies the endpoint reads
_BODY_HEADERS = (b"content-type", b"content-length")  # what a 304 leaves out of the 200's headers


@dataclass(frozen=True)
class Replay(CachedAnswer):
    """An answer as the app sent it: `headers` are its response headers, after every middleware."""

    headers: tuple[tuple[bytes, bytes], ...] = ()


class Replays(AnswerCache):
    """The kept responses, by request; `sent` counts the answers replayed (304s included)."""

    sent = 0

    def cost(self, key: tuple, answer: CachedAnswer) -> int:
        """The body, the request's and the response's bytes, and the Python objects holding them (measured with
        tracemalloc in tests/api/test_replay.py)."""
        headers = answer.headers if isinstance(answer, Replay) else ()
        return (len(answer.body) + sum(len(part) for part in key if isinstance(part, bytes))
                + sum(len(name) + len(value) for name, value in headers) + REPLAY_OVERHEAD
                + HEADER_OVERHEAD * len(headers))


class ReplayAnswers:
    def __init__(self, app: ASGIApp, replays: Replays, current: CurrentBuild, budget: AnswerBudget,
                 in_progress: RequestsInProgress):
        self.app = app
        self.replays, self.current, self.budget, self.in_progress = replays, current, budget, in_progress

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "HEAD", "POST"):
            await self.app(scope, receive, send)
            return
        keyed: list[bytes | None] = [None] * len(_KEYED)  # None: not sent (an empty header is not that)
        if_none_match, length = None, None
        for name, value in scope["headers"]:
            if name in _KEYED:
                at = _KEYED.index(name)
                if keyed[at] is not None:  # sent twice: the app reads the first, a proxy may read the other
                    await self.app(scope, receive, send)
                    return
                keyed[at] = value
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
            elif name == b"content-length" and length is None:
                length = value
            elif name in _PASSED_ON or name in (b"if-none-match", b"content-length") or (
                    name == b"cache-control" and b"no-" in value):
                await self.app(scope, receive, send)
                return
        if scope["method"] == "POST":
            media_type = (keyed[1] or b"").split(b";")[0].strip().lower()
            readable = media_type in _READ and length is not None and length.isdigit() and int(length) <= MAX_BODY
        else:
            readable = length is None
        client = RequestsInProgress.client(scope)
        if not readable or self.in_progress.refusal(client) is not None:
            await self.app(scope, receive, send)
            return
        key = None
        release = self.in_progress.enter(client)
        try:
            body = b""
            if scope["method"] == "POST":
                body, receive = await _read_body(receive)
            if body is not None:  # else the client went, or the body was not what it said: the app answers it
                build = self.current.name()  # empties the replays when the build changed
                if build is not None:
                    key = (scope["method"], scope["path"], scope["query_string"], body, *keyed)
                    kept = self.replays.get(key)
                    if kept is not None and kept.build == build and await self._replay(send, kept, if_none_match):
                        return
        finally:
            release()  # the app counts the request again
        await self.app(scope, receive, send if key is None else self._recording(send, key))

    async def _replay(self, send: Send, kept: Replay, if_none_match: str | None) -> bool:
        """Send a kept answer (or its 304); False when the answer budget has no room for it now."""
        if matches(if_none_match, kept.etag):
            headers = [(name, value) for name, value in kept.headers if name not in _BODY_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            self.replays.sent += 1
            return True
        reservation = self.budget.reserve(len(kept.body))
        if reservation is None:  # the app answers, with its own 503
            return False
        try:
            await send({"type": "http.response.start", "status": 200, "headers": list(kept.headers)})
            await send({"type": "http.response.body", "body": kept.body})
        finally:
            reservation.release()
        self.replays.sent += 1
        return True

    def _recording(self, send: Send, key: tuple) -> Send:
        """`send`, keeping a whole 200 the answer cache kept (it has an ETag and the build that made it)."""
        headers: tuple | None = None  # the answer's, as the app sent them (middleware outside may change them)

        async def recording(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                headers = tuple(message.get("headers", ())) if message["status"] == 200 else None
            elif headers is not None and message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    names = dict(headers)
                    tag, build = names.get(b"etag"), names.get(BUILD_HEADER_RAW)
                    if tag is not None and build is not None:
                        body = bytes(message.get("body", b""))
                        self.replays.put(key, Replay(body, "", build.decode("latin-1"), tag.decode("latin-1"),
                                                     headers))
                headers = None  # an answer in several pieces is not kept
            await send(message)

        return recording


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The request's body, read whole (its length was checked), and a `receive` that hands the app what was
    read, then the connection; None for the body when the client went away or sent more than it said."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            break
        if not message.get("more_body", False):
            return b"".join(chunks), _replaying(messages, receive)
    return None, _replaying(messages, receive)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replaying() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying
