"""Issue 5, items 1-7 and 10: what a client's SPARQL cannot make the real server do.

Every test talks to `ctkg serve` on 127.0.0.1 (all of data/, a 2 s time limit, the default limits
otherwise): the session's server, or this module's own for the tests that have workers killed; a listener
on 127.0.0.1 stands in for an outside host and records any connection.
"""

import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.vocab import ONTOLOGY_IRI
from tests.support.polling import wait_until
from tests.support.processes import cpu_seconds, is_dead, peak_memory_of
from tests.support.threads import InThread

from .conftest import MARGIN_S, NEVER_ENDS, TIMEOUT_S, assert_no_leak

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_GRAPHS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
AUTHORITIES = "SELECT DISTINCT ?a WHERE { ?a a ctkg:RegulatoryAuthority }"
QUERY_FORM = {"Content-Type": "application/sparql-query"}


def run(base: str, query: str, method: str = "GET", timeout: float = 30, **params) -> httpx.Response:
    """A query sent by GET, by POST of a form, or by POST of the query itself."""
    if method == "GET":
        return httpx.get(f"{base}/sparql", params={"query": query, **params}, timeout=timeout)
    if method == "FORM":
        return httpx.post(f"{base}/sparql", data={"query": query, **params}, timeout=timeout)
    return httpx.post(f"{base}/sparql", content=query.encode(), params=params, headers=QUERY_FORM, timeout=timeout)


def count(base: str, query: str = COUNT_ALL) -> int:
    response = run(base, query)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def nothing_arrived(listener) -> None:
    assert listener.received() == 0


# --- 1. SERVICE in every spelling -------------------------------------------------------------------

SERVICE_QUERIES = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "mixed case": "select * where {{ sErViCe <{url}> {{ ?s ?p ?o }} }}",
    "u escape": "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "U escape, silent": "SELECT * WHERE {{ \\U00000053ervice \\u0053ILENT <{url}> {{ ?s ?p ?o }} }}",
    "filter exists": "SELECT * WHERE {{ ?x ?y ?z FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "ask": "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "variable endpoint": "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("method", ["GET", "FORM", "DIRECT"])
@pytest.mark.parametrize("spelling", SERVICE_QUERIES)
def test_service_is_refused_and_nothing_is_sent(real_server, listener, spelling, method):
    query = SERVICE_QUERIES[spelling].format(url=f"http://127.0.0.1:{listener.port}/sparql")
    response = run(real_server.base, query, method)
    assert response.status_code == 400 and "SERVICE" in response.text
    assert_no_leak(response)
    nothing_arrived(listener)


# --- 2. FROM, FROM NAMED, default-graph-uri, named-graph-uri naming something to fetch or read --------

@pytest.fixture(scope="module")
def marker_file(tmp_path_factory) -> tuple[Path, str]:
    """A local file the server could read, with a string that must never appear in an answer."""
    marker = "ctkg-marker-4f0c2a9e"
    path = tmp_path_factory.mktemp("outside") / "marker.ttl"
    path.write_text(f'<urn:ctkg:outside> <urn:ctkg:says> "{marker}" .\n# {marker}\n', encoding="utf-8")
    return path, marker


def _dataset_requests(http_url: str, file_url: str) -> list[dict]:
    requests = []
    for url in (http_url, file_url):
        requests += [
            {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
            {"query": f"SELECT * FROM <{ONTOLOGY_IRI}> FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": url},
            {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": url},
            {"query": f"CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"ASK FROM <{url}> {{ ?s ?p ?o }}"},
        ]
    return requests


@pytest.mark.parametrize("method", ["GET", "FORM", "DIRECT"])
def test_remote_and_local_datasets_are_refused_and_nothing_is_read(real_server, listener, marker_file, method):
    path, marker = marker_file
    http_url = f"http://127.0.0.1:{listener.port}/data.ttl"
    for params in _dataset_requests(http_url, path.as_uri()):
        response = run(real_server.base, method=method, **params)
        assert response.status_code == 400 and "not a graph of this store" in response.text, params
        assert_no_leak(response, marker, echoed=path.as_uri())
    nothing_arrived(listener)


def test_graph_patterns_naming_addresses_read_nothing(real_server, listener, marker_file):
    path, marker = marker_file
    for url in (f"http://127.0.0.1:{listener.port}/data.ttl", path.as_uri()):
        for query in (f"SELECT * WHERE {{ GRAPH <{url}> {{ ?s ?p ?o }} }}", f"DESCRIBE <{url}>",
                      f"SELECT * WHERE {{ <{url}> ?p ?o }}"):
            response = run(real_server.base, query)
            assert response.status_code == 200 and marker not in response.text
            assert "ctkg:outside" not in response.text and "urn:ctkg:says" not in response.text
    nothing_arrived(listener)


# --- 3. Updates in any form ----------------------------------------------------------------------------

def _updates(url: str) -> list[str]:
    return [
        "INSERT DATA { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> }",
        "INSERT DATA { GRAPH <urn:ctkg:g> { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> } }",
        "DELETE WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 'changed' } WHERE { ?s ?p ?o }",
        f"LOAD <{url}>",
        f"LOAD SILENT <{url}> INTO GRAPH <urn:ctkg:g>",
        "DROP ALL", "CLEAR DEFAULT", "CREATE GRAPH <urn:ctkg:g>", "COPY DEFAULT TO <urn:ctkg:g>",
        "insert data { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> }",
        "\\u0044ROP ALL",
    ]


def test_updates_are_refused_and_the_graph_is_unchanged(real_server, listener, marker_file):
    base = real_server.base
    before = (count(base), count(base, COUNT_GRAPHS))
    path, marker = marker_file
    for url in (f"http://127.0.0.1:{listener.port}/data.ttl", path.as_uri()):
        for update in _updates(url):
            attempts = [
                httpx.get(f"{base}/sparql", params={"update": update}),
                httpx.post(f"{base}/sparql", data={"update": update}),
                httpx.post(f"{base}/sparql", content=update.encode(),
                           headers={"Content-Type": "application/sparql-update"}),
                run(base, update, "GET"), run(base, update, "FORM"), run(base, update, "DIRECT"),
            ]
            for response in attempts:
                assert response.status_code == 403 and "read-only" in response.text, (update, response.text)
                assert marker not in response.text
    nothing_arrived(listener)
    assert (count(base), count(base, COUNT_GRAPHS)) == before
    assert run(base, "ASK { GRAPH ?g { <urn:ctkg:x> ?p ?o } }").json()["boolean"] is False
    assert run(base, "ASK { GRAPH <urn:ctkg:g> { ?s ?p ?o } }").json()["boolean"] is False


# --- 4. A runaway query ---------------------------------------------------------------------------------

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


class Meanwhile:
    """Another client, on a thread: rounds of requests to some paths, `pace` seconds apart, until stopped (at
    most `limit` rounds). What it got is read in the test's own thread: statuses, errors, rounds done."""

    def __init__(self, base: str, paths: list[str], pace: float = 0.04, limit: int = 500):
        self.base, self.paths, self.pace, self.limit = base, paths, pace, limit
        self.statuses: list[int] = []
        self.errors: list[Exception] = []
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as http:
            for _ in range(self.limit):
                for path in self.paths:
                    try:
                        self.statuses.append(http.get(path).status_code)
                    except httpx.HTTPError as exc:
                        self.errors.append(exc)
                self.rounds += 1
                if self._stop.wait(self.pace):
                    return

    def served(self) -> bool:
        """Every request so far answered 200."""
        return not self.errors and set(self.statuses) == {200}

    def __enter__(self) -> "Meanwhile":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(15)


def busy_worker(pids: list[int], before: dict[int, float], cpu: float = 0.3) -> int | None:
    """The pid that has used more than `cpu` seconds of CPU since `before` (the most, if several), or None."""
    busiest = max(pids, key=lambda pid: cpu_seconds(pid) - before.get(pid, 0.0))
    return busiest if cpu_seconds(busiest) - before.get(busiest, 0.0) > cpu else None


@pytest.mark.embedded_only(NEVER_ENDS)
def test_runaway_count_is_stopped_its_worker_killed_and_health_stays_up(own_server):
    base = own_server.base
    workers = own_server.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    with Meanwhile(base, ["/health"]) as health:
        query = InThread(lambda: run(base, RUNAWAY))
        running = wait_until(lambda: busy_worker(workers, cpu_before), timeout=TIMEOUT_S + MARGIN_S,
                             what="a worker running the query")
        seen = health.rounds
        wait_until(lambda: health.rounds >= seen + 3 or not query.running(), timeout=TIMEOUT_S + MARGIN_S)
        health_while_running = query.running() and health.rounds >= seen + 3
        response = query.result(TIMEOUT_S + MARGIN_S + 10)
    assert response.status_code == 503 and "time limit" in response.text
    assert response.headers["retry-after"]
    assert query.elapsed <= TIMEOUT_S + MARGIN_S
    # the worker that ran it is killed (before the answer is sent), so it burns no more CPU
    wait_until(lambda: is_dead(running), timeout=MARGIN_S, what=f"worker {running} ending after the 503")
    # /health was answered while the query ran, and always with 200
    assert health_while_running, "/health was not answered while the runaway query ran"
    assert health.served(), (set(health.statuses), health.errors[:3])
    # the next query is served normally, by the worker left and the one that replaced the killed one
    assert count(base, "SELECT (COUNT(*) AS ?n) WHERE { ?a a ctkg:RegulatoryAuthority }") > 0
    own_server.wait_ready()
    assert running not in own_server.workers()


# --- 5. ORDER BY ... LIMIT on a cross product: memory ----------------------------------------------------

SORTED_CROSS_PRODUCT = "SELECT ?s WHERE { ?a ?b ?c . ?d ?e ?f . ?s ?h ?i } ORDER BY ?s ?c ?f LIMIT 10"


@pytest.mark.embedded_only(NEVER_ENDS)
def test_sorted_cross_product_stops_within_the_memory_cap(own_server, real_settings):
    base = own_server.base
    cap_mb = real_settings.worker_memory_mb
    started = time.monotonic()
    with peak_memory_of(own_server.workers()) as peak:
        response = run(base, SORTED_CROSS_PRODUCT)
    assert time.monotonic() - started <= TIMEOUT_S + MARGIN_S
    assert response.status_code == 503 and response.headers["retry-after"]  # the deadline or the cap stopped it
    assert 0 < peak[0] <= cap_mb
    assert own_server.process.poll() is None
    own_server.wait_ready()
    assert count(base) > 0


# --- 6. Catastrophic regular expressions, unbounded property paths -------------------------------------

LONG = "a" * 3000
SLOW_QUERIES = {
    "nested quantifier on a long string": f'SELECT (REGEX("{LONG}!", "(a+)+$") AS ?m) WHERE {{}}',
    "alternation on a long string": f'SELECT (REGEX("{LONG}!", "^(a|aa|aaa)+$") AS ?m) WHERE {{}}',
    "nested quantifier on every label": (
        'SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l '
        f'FILTER(REGEX(CONCAT(STR(?l), "{LONG[:500]}!"), "^(([a-z])+.)+[A-Z]([a-z])+$")) }}'),
    "a regex that compiles to too much": 'SELECT (REGEX("aaa", "((a{100}){100}){100}") AS ?m) WHERE {}',
    "a regex on a string built by the query": (
        'SELECT (REGEX(?long, "(.*a){25}!") AS ?m) WHERE { { SELECT (GROUP_CONCAT(STR(?o); separator="a") '
        'AS ?long) WHERE { ?s rdfs:label ?o } } }'),
    "path both ways over anything": "SELECT (COUNT(*) AS ?n) WHERE { ?s (ctkg:reliesOn|^ctkg:reliesOn|!rdf:type)* ?o }",
    "path p or inverse p, starred": "SELECT (COUNT(*) AS ?n) WHERE { ?s (rdfs:label|^rdfs:label)* ?o }",
    "negated path both ways, starred": "SELECT (COUNT(*) AS ?n) WHERE { ?s (!rdf:type|^!rdf:type)* ?o }",
    "path closure in ask": "ASK { ?s (<urn:ctkg:p>|^<urn:ctkg:p>)* ?o . ?o (!<urn:ctkg:q>)+ ?z }",
}


@pytest.mark.parametrize("name", SLOW_QUERIES)
def test_slow_regex_and_paths_end_by_the_deadline_and_others_are_served(own_server, name):
    base = own_server.base
    with Meanwhile(base, ["/health", "/authorities/fda", "/search?q=fda"], pace=0.1) as others:
        wait_until(lambda: others.rounds >= 1, what="the other client's first answers")
        before = others.rounds
        started = time.monotonic()
        response = run(base, SLOW_QUERIES[name])
        elapsed = time.monotonic() - started
        during = others.rounds - before
        wait_until(lambda: others.rounds > before + during, timeout=TIMEOUT_S + MARGIN_S,
                   what="the other client answered after the slow query")
    assert response.status_code in (200, 503), response.text
    assert elapsed <= TIMEOUT_S + MARGIN_S
    assert_no_leak(response)
    assert others.served(), (set(others.statuses), others.errors[:3])
    if response.status_code == 503:  # it ran to the deadline: the others were answered meanwhile
        assert during >= 1, "no other request was answered while the slow query ran"


# --- 7. More rows than the cap -----------------------------------------------------------------------

def test_more_rows_than_the_cap_is_an_error_never_a_cut(real_server, real_settings):
    base, cap = real_server.base, real_settings.max_rows
    cross = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f }"
    full = run(base, f"{cross} LIMIT {cap}")
    assert full.status_code == 200 and len(full.json()["results"]["bindings"]) == cap
    for query in (f"{cross} LIMIT {cap + 1}", cross,
                  f"CONSTRUCT {{ [] <urn:ctkg:p> ?d }} WHERE {{ ?a ?b ?c . ?d ?e ?f }} LIMIT {2 * cap}"):
        for method in ("GET", "FORM"):
            response = run(base, query, method)
            assert response.status_code == 422, response.text[:200]
            assert f"more than {cap}" in response.text and "LIMIT" in response.text
            assert response.headers["ctkg-row-limit"] == str(cap)


# --- 10. Sizes and nesting --------------------------------------------------------------------------

def test_a_query_or_a_body_over_the_limit_is_413(real_server, real_settings):
    base, limit = real_server.base, real_settings.max_query_bytes
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * limit
    for method in ("GET", "FORM", "DIRECT"):
        response = run(base, long_query, method)
        assert response.status_code == 413 and str(limit) in response.text
    body = b"query=" + b"x" * (real_settings.max_body_bytes + 1)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert httpx.post(f"{base}/sparql", content=body, headers=form).status_code == 413

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(real_settings.max_body_bytes // 1000 + 2):
            yield b"x" * 1000

    assert httpx.post(f"{base}/sparql", content=chunks(), headers=QUERY_FORM).status_code == 413


def test_a_body_announced_too_large_is_refused_before_it_is_sent(real_server):
    import socket

    with socket.create_connection(("127.0.0.1", real_server.port), timeout=5) as raw:
        raw.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                    b"Content-Length: 100000000\r\n\r\nSELECT")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_long_url_within_the_query_limit_reaches_the_endpoint(real_server, real_settings):
    # ~9 kB of query whose percent-encoding is ~27 kB: more than h11's default 16 kB for a request line
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "{}" * ((real_settings.max_query_bytes - 100) // 2)
    response = run(real_server.base, query)
    assert response.status_code == 200, response.text[:200]


def test_deep_nesting_is_400_and_the_server_lives_on(real_server):
    base = real_server.base
    real_server.wait_ready()
    workers = set(real_server.workers())
    deep = [
        "SELECT * WHERE " + "{" * 4000 + " ?s ?p ?o " + "}" * 4000,
        "SELECT * WHERE " + "\\u007B" * 800 + " ?s ?p ?o " + "\\u007D" * 800,
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 4000 + "1" + ")" * 4000 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ ?p " * 1200 + "1" + " ]" * 1200 + " }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + "(" * 4000 + "))",  # unbalanced
        "ASK " + "{ " * 3000,
    ]
    for query in deep:
        for method in ("GET", "FORM", "DIRECT"):
            response = run(base, query, method)
            assert response.status_code == 400 and "nest" in response.text, (query[:40], response.text[:200])
    assert real_server.process.poll() is None
    assert httpx.get(f"{base}/health").status_code == 200
    assert set(real_server.workers()) == workers  # refused in the server: no worker even saw them
    assert count(base) > 0
