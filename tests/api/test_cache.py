"""The answer cache (`api.cache`): a repeated query is answered without a worker, with an ETag a client
revalidates (304); a new build empties it; an answer a limit refused is never kept; it holds at most its bytes.

Over HTTP, a hit is told from a miss by stopping every query worker (SIGSTOP): a kept answer still comes at
once, and anything else waits for a worker until the time limit (503).
"""

import os
import random
import re
import shutil
import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx
import pytest

from api.cache import AnswerCache, CachedAnswer, etag, matches, normalised
from tests.support.builds import build_whole
from tests.support.servers import CtkgServer

from .conftest import HERE, LOCAL_STORE, SEED, TIMEOUT_S, ctkg_serve

pytestmark = pytest.mark.embedded_only("the cache keeps the embedded store's answers only, by the build that "
                                       "answered")

AUTHORITIES = "SELECT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a"
RESPACED = ("SELECT ?a ?label   # the same query, spaced otherwise\nWHERE {\n  ?a a ctkg:RegulatoryAuthority ;\n"
            "    rdfs:label ?label\n} ORDER BY ?a")
QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
MAX_ROWS = 10


@pytest.fixture(scope="module")
def server(settings, tmp_path_factory) -> Iterator[CtkgServer]:
    with ctkg_serve(settings, tmp_path_factory.mktemp("cache") / "server.log", max_rows=MAX_ROWS) as running:
        yield running


@contextmanager
def workers_stopped(server: CtkgServer) -> Iterator[None]:
    """Every query worker stopped (SIGSTOP) meanwhile: only the server process answers."""
    pids = server.workers()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):  # killed at the deadline meanwhile
                os.kill(pid, signal.SIGCONT)
        server.wait_ready(TIMEOUT_S * 10)  # a worker stopped under a query is killed at the deadline and replaced


def get(server: CtkgServer, query: str, **headers: str) -> httpx.Response:
    return httpx.get(server.query_url, params={"query": query}, headers=headers, timeout=TIMEOUT_S * 5)


def test_a_repeated_query_is_answered_without_a_worker(server):
    first = get(server, AUTHORITIES)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"].startswith('"')
    with workers_stopped(server):
        for text in (AUTHORITIES, RESPACED):
            again = httpx.post(server.query_url, data={"query": text}, timeout=TIMEOUT_S)
            assert again.status_code == 200 and again.content == first.content
            assert again.headers["etag"] == first.headers["etag"]
            assert again.headers["ctkg-build"] == first.headers["ctkg-build"]
        other_format = get(server, AUTHORITIES, accept="text/csv")  # another key: it waits for a worker
        assert other_format.status_code == 503
        assert get(server, AUTHORITIES, **{"cache-control": "no-cache"}).status_code == 503  # made for it
        padded = httpx.post(server.query_url, data={"query": AUTHORITIES + " #" + "x" * 10_000}, timeout=TIMEOUT_S)
        assert padded.status_code == 413  # the same key, but over the size limit


def test_a_client_revalidates_with_if_none_match(server):
    first = get(server, AUTHORITIES)
    tag = first.headers["etag"]
    with workers_stopped(server):
        unchanged = get(server, AUTHORITIES, **{"if-none-match": tag})
        assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == tag
        assert get(server, AUTHORITIES, **{"if-none-match": '"another"'}).status_code == 200


def test_an_answer_over_the_row_limit_is_refused_and_never_kept(server):
    over = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    refused = get(server, over)
    assert refused.status_code == 422 and "etag" not in refused.headers
    with workers_stopped(server):
        assert get(server, over).status_code == 503  # not kept: it waits for a worker, and none answers


@pytest.mark.embedded_only(LOCAL_STORE)
def test_a_new_build_empties_the_cache(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    build_whole(data, tmp_path / "store")
    with CtkgServer(tmp_path / "store", tmp_path / "server.log", query_timeout_s=TIMEOUT_S) as server:
        before = get(server, QUADS)
        assert get(server, QUADS).headers["etag"] == before.headers["etag"]  # kept
        added = data / "markup-in-labels.yaml"
        for change in (lambda: shutil.copy(HERE / "data" / added.name, added), added.unlink):  # two more builds
            change()
            build_whole(data, tmp_path / "store")
            after = get(server, QUADS, **{"if-none-match": before.headers["etag"]})
            assert after.status_code == 200, after.status_code
            assert after.headers["ctkg-build"] != before.headers["ctkg-build"]
            assert after.json()["results"]["bindings"][0]["n"]["value"] != \
                before.json()["results"]["bindings"][0]["n"]["value"]
            before = after


def kept(size: int, build: str = "b1") -> CachedAnswer:
    body = b"x" * size
    return CachedAnswer(body, "text/plain", build, etag(body))


def test_the_cache_holds_at_most_its_bytes_least_recently_used_out():
    cache = AnswerCache(limit=20_000)
    for n in range(40):
        assert cache.put(("b1", f"query {n}"), kept(900))
        assert cache.size <= cache.limit
    held = [n for n in range(40) if cache.get(("b1", f"query {n}")) is not None]  # each used again, in order
    assert held == list(range(40 - len(held), 40)) and len(held) < 40  # the most recent ones
    cache.get(("b1", f"query {held[0]}"))  # the oldest, used again: the next to go is the one after it
    cache.put(("b1", "one more"), kept(900))
    assert cache.get(("b1", f"query {held[0]}")) is not None and cache.get(("b1", f"query {held[1]}")) is None
    assert not cache.put(("b1", "too large"), kept(2_000))  # with its objects, over an eighth: not kept
    cache.clear()
    assert cache.size == 0 and len(cache) == 0


def _own(text: str) -> str:
    """A string object of its own, as each request makes its key's and its answer's."""
    return "".join(list(text))


@pytest.mark.parametrize("graphs", [0, 3])
def test_the_caches_bound_counts_what_it_holds_in_memory(graphs):
    """`AnswerCache.cost` is at least what tracemalloc sees kept, for entries like a point lookup's (with and
    without a dataset given by the request), and not far more."""
    cache = AnswerCache(10**9)
    formats = (("solutions", "json"), ("graph", "turtle"))  # the app's own strings, shared by every key
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(2_000):
            build = _own("20261205T020018-989908095-29273")
            query = normalised(f"SELECT ?p ?v WHERE {{ <https://w3id.org/ctkg/id/product/x-{n}> ?p ?v }}")
            dataset = tuple(_own(f"https://w3id.org/ctkg/id/source/s-{g}") for g in range(graphs)) or None
            body = b"a" * 500 + str(n).encode()
            answer = CachedAnswer(body, _own("application/sparql-results+json"), _own(build), etag(body))
            cache.put((build, query, dataset, None, tuple(formats)), answer)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held <= cache.size <= 1.5 * held, (cache.size, held)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT *\n  WHERE {?s ?p ?o}  # all", False),  # `{?s` is not `{ ?s`
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT *\n  WHERE { ?s ?p ?o } # all", True),
    ('ASK { ?s ?p "a  b" }', 'ASK { ?s ?p "a b" }', False),  # inside a string, white space counts
    ('ASK { ?s ?p "a # b" }', 'ASK { ?s ?p "a " }', False),  # not a comment
    ('ASK { ?s ?p """a\n b""" }', 'ASK { ?s ?p """a\n  b""" }', False),  # a long string: the text as it is
])
def test_normalised_queries_are_the_same_only_when_read_alike(a, b, same):
    assert (normalised(a) == normalised(b)) is same


def test_white_space_is_made_one_space_as_the_regular_expression_does():
    # `normalised` collapses white space with str.split, which must read the same characters as `\s` does
    rnd = random.Random(7)
    spaces = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2003\u2028\u3000"
    for _ in range(3000):
        text = "".join(rnd.choice(spaces + "ab\u200b") for _ in range(rnd.randint(0, 25)))
        query = f"SELECT{text}* WHERE {{ ?s ?p 'x' }}{text}"
        assert normalised(query) == re.sub(r"\s+", " ", query).strip(), repr(query)


def test_if_none_match_names_a_tag_weakly_or_in_a_list():
    tag = etag(b"answer")
    assert matches(tag, tag) and matches(f'"other", W/{tag}', tag) and matches("*", tag)
    assert not matches('"other"', tag) and not matches(None, tag)
