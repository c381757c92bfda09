"""Replayed answers (`api.replay`): the same /sparql request again gets, byte for byte, the response the app sent
for it, without going into the app; a request that differs in what the answer depends on, an error, a body
the replay cannot read whole, and a client asking for a fresh answer go through the app.

In process (the application with its worker pool), where the replays' hit count can be read; over HTTP, a new
build ending the replays is `test_cache.test_a_new_build_empties_the_cache` (the same GET before and after).
"""

import asyncio
import tracemalloc
import uuid

import pytest

from api.answers import AnswerBudget
from api.cache import CurrentBuild
from api.guards import RequestsInProgress
from api.replay import MAX_BODY, Replay, ReplayAnswers, Replays
from tests.support.threads import InThread

pytestmark = pytest.mark.embedded_only("replays are of answers the embedded store's answer cache kept")

JSON = "application/sparql-results+json"


def run(call) -> None:
    """`asyncio.run(call())` on a thread of its own: another test (the browser's) may leave a loop running on
    this one."""
    InThread(lambda: asyncio.run(call())).result(timeout=10)


def a_query() -> str:
    """A query no other test sends (its comment), so that its first request is answered by the app."""
    return (f"# {uuid.uuid4()}\n"
            "SELECT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a")


def post(client, query: str, **headers: str):
    return client.post("/sparql", data={"query": query}, headers={"accept": JSON, **headers})


def replays(client) -> int:
    return client.app.state.replays.sent


def test_the_same_request_again_gets_the_apps_response_byte_for_byte(client):
    query = a_query()
    first = post(client, query)
    assert first.status_code == 200, first.text
    before = replays(client)
    again = post(client, query)
    assert replays(client) == before + 1
    assert again.status_code == 200 and again.content == first.content
    assert again.headers == first.headers  # the app's own headers, security and CORS ones included
    # Answered by the app (its answer cache): the same response the replay sent.
    fresh = post(client, query, **{"cache-control": "no-cache"})
    assert replays(client) == before + 1
    assert fresh.content == again.content and fresh.headers == again.headers


def test_a_revalidation_is_answered_304_as_the_app_answers_it(client):
    query = a_query()
    tag = post(client, query).headers["etag"]
    from_app = post(client, query, **{"if-none-match": tag, "cache-control": "no-cache"})
    before = replays(client)
    replayed = post(client, query, **{"if-none-match": tag})
    assert replays(client) == before + 1
    assert replayed.status_code == from_app.status_code == 304 and replayed.content == b""
    assert replayed.headers == from_app.headers and "content-type" not in replayed.headers
    assert post(client, query, **{"if-none-match": '"another"'}).status_code == 200


@pytest.mark.parametrize("differs", [
    {"accept": "text/csv"},
    {"origin": "https://notebook.example"},
    {"origin": ""},  # sent empty: CORS answers it, unlike a request without one
], ids=["accept", "origin", "empty-origin"])
def test_a_request_that_differs_in_what_the_answer_depends_on_goes_to_the_app(client, differs):
    query = a_query()
    plain = post(client, query)
    other = post(client, query, **differs)
    assert other.content and other.headers != plain.headers  # another format; CORS headers
    before = replays(client)
    assert post(client, query).headers == plain.headers  # each replayed as it was answered
    assert post(client, query, **differs).headers == other.headers
    assert replays(client) == before + 2


@pytest.mark.parametrize("name, first, second", [
    ("accept", JSON, "text/csv"),
    ("if-none-match", '"another"', None),  # None: the answer's own tag
])
def test_a_header_sent_twice_is_never_replayed(client, name, first, second):
    query = a_query()
    plain = client.get("/sparql", params={"query": query}, headers={"accept": JSON})
    second = second or plain.headers["etag"]
    alone = client.get("/sparql", params={"query": query}, headers={"accept": JSON, name: second})
    before = replays(client)
    twice = client.get("/sparql", params={"query": query},
                       headers=[("accept", JSON)] * (name != "accept") + [(name, first), (name, second)])
    assert replays(client) == before  # the app answered, reading the first
    assert twice.status_code == 200 and twice.headers["content-type"] == plain.headers["content-type"]
    if name == "accept":  # the second alone was kept apart, and still gets its own answer
        assert client.get("/sparql", params={"query": query}, headers={name: second}).content == alone.content


def test_get_and_post_are_replayed_apart(client):
    query = a_query()
    posted = post(client, query)
    before = replays(client)
    got = client.get("/sparql", params={"query": query}, headers={"accept": JSON})
    assert replays(client) == before and got.content == posted.content
    assert client.get("/sparql", params={"query": query}, headers={"accept": JSON}).content == got.content
    assert replays(client) == before + 1


def test_an_error_is_never_replayed(client):
    before = replays(client)
    for _ in range(2):
        wrong = post(client, "SELECT ?s WHERE { ?s ?p }")
        assert wrong.status_code == 400
    updates = [post(client, "INSERT DATA { <a:b> <a:c> <a:d> }").status_code for _ in range(2)]
    assert updates == [403, 403] and replays(client) == before


def test_a_body_the_replay_cannot_read_whole_is_answered_by_the_app(client):
    query = a_query()
    first = post(client, query)
    before = replays(client)
    chunked = client.post("/sparql", content=iter([query.encode()]),  # no Content-Length: chunked
                          headers={"content-type": "application/sparql-query", "accept": JSON})
    assert chunked.status_code == 200 and chunked.content == first.content
    padded = query + "\n#" + "x" * MAX_BODY  # over MAX_BODY, and over the query size limit
    assert post(client, padded).status_code == 413
    assert replays(client) == before


class Recorder:
    """An ASGI app that reads its request's body and says what it read: what the replay passes on."""

    def __init__(self):
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.bodies.append(None)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self.bodies.append(b"".join(chunks))
        # An answer as the endpoint marks one the answer cache kept: a replay may keep it.
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"etag", b'"tag"'), (b"ctkg-build", b"b1")]})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("messages, passed_on", [
    ([b"query=ASK", b"{}"], b"query=ASK{}"),  # a body in two pieces, read whole and handed on whole
    ([b"query=ASK", None], None),  # the client went away mid-body: the app hears it
], ids=["two-pieces", "gone"])
def test_a_body_read_by_the_replay_reaches_the_app_unchanged(tmp_path, messages, passed_on):
    recorder = Recorder()
    cache = Replays(100_000)
    in_progress = RequestsInProgress(per_client=4, total=64)
    front = ReplayAnswers(recorder, cache, CurrentBuild(tmp_path, cache), AnswerBudget(10_000), in_progress)
    queue = [{"type": "http.disconnect"} if body is None else
             {"type": "http.request", "body": body, "more_body": n < len(messages) - 1}
             for n, body in enumerate(messages)]

    counted = []

    async def receive():
        counted.append(in_progress.by_client["192.0.2.1"])
        return queue.pop(0)

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/sparql", "query_string": b"", "client": ("192.0.2.1", 1),
             "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"11")]}
    run(lambda: front(scope, receive, send))
    assert recorder.bodies == [passed_on]
    assert counted == [1] * len(messages)  # counted in progress while the replay read the body
    assert in_progress.all == 0 and not in_progress.by_client


class Front:
    """`ReplayAnswers` before a `Recorder`, on a store whose current build is "b1", for one GET from one client."""

    CLIENT = "192.0.2.1"

    def __init__(self, tmp_path, budget: int = 10_000):
        (tmp_path / "builds" / "b1").mkdir(parents=True)
        (tmp_path / "current").symlink_to(tmp_path / "builds" / "b1")
        self.recorder, self.replays = Recorder(), Replays(100_000)
        self.in_progress = RequestsInProgress(per_client=2, total=64)
        self.front = ReplayAnswers(self.recorder, self.replays, CurrentBuild(tmp_path, self.replays),
                                   AnswerBudget(budget), self.in_progress)
        self.sent: list[dict] = []

    def ask(self, send=None) -> None:
        scope = {"type": "http", "method": "GET", "path": "/sparql", "query_string": b"query=ASK%7B%7D",
                 "client": (self.CLIENT, 1), "headers": []}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def keep(message):
            self.sent.append(message)

        run(lambda: self.front(scope, receive, send or keep))

    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.sent if m["type"] == "http.response.body"]


def test_a_client_at_its_limit_is_passed_on_for_the_app_to_refuse(tmp_path):
    front = Front(tmp_path)
    front.ask()
    front.ask()
    assert len(front.recorder.bodies) == 1 and front.replays.sent == 1  # the second was replayed
    held = [front.in_progress.enter(Front.CLIENT) for _ in range(2)]  # two requests of this client in progress
    front.ask()
    assert len(front.recorder.bodies) == 2 and front.replays.sent == 1  # the app had it: its limit answers 429
    assert front.in_progress.by_client[Front.CLIENT] == 2  # nothing counted by the replay is left behind
    for release in held:
        release()
    assert front.bodies() == [b"ok"] * 3


def test_an_answer_the_budget_has_no_room_for_goes_to_the_app(tmp_path):
    front = Front(tmp_path, budget=1)  # less than any answer
    front.ask()
    front.ask()
    assert len(front.recorder.bodies) == 2 and front.replays.sent == 0  # the app answers it (with its own 503)


def test_a_replay_whose_client_is_gone_leaves_no_count_behind(tmp_path):
    front = Front(tmp_path)
    front.ask()

    async def gone(message):
        raise OSError("the connection is closed")

    with pytest.raises(OSError):
        front.ask(send=gone)
    assert front.replays.sent == 0 and len(front.recorder.bodies) == 1  # it was being replayed when it failed
    assert front.in_progress.all == 0 and not front.in_progress.by_client


def test_the_replays_bound_counts_what_they_hold_in_memory():
    """`Replays.cost` is at least what tracemalloc sees kept, for entries like a point lookup's."""
    replays = Replays(10**9)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(2_000):
            body = b"q" * 300 + str(n).encode()
            key = ("POST", "/sparql", b"", body, b"application/sparql-results+json",
                   b"application/x-www-form-urlencoded", None)
            headers = tuple((f"x-header-{h}".encode(), b"v" * 20 + str(n).encode()) for h in range(9))  # each its own
            replays.put(key, Replay(b"a" * 500 + str(n).encode(), "", "b1", '"tag"', headers))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert replays.size >= held, (replays.size, held)
