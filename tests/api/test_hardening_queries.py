"""Issue 5, items 1-7 and 10: what a client's SPARQL cannot make the real server do.

Every test talks to `ctkg serve` on 127.0.0.1 (all of data/, a 2 s time limit, the default limits
otherwise); a listener on 127.0.0.1 stands in for an outside host and records any connection.
"""

import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.vocab import ONTOLOGY_IRI

from .conftest import NEVER_ENDS, TIMEOUT_S, assert_no_leak, cpu_seconds, is_dead, peak_memory_of, percentile

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
    time.sleep(0.2)  # a connection the server started would have reached the listener by now
    assert listener.connections == 0


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
    """Another client, on a thread: timed requests to some paths until stopped (at most `limit` rounds)."""

    def __init__(self, base: str, paths: list[str], pause: float = 0.04, limit: int = 200):
        self.base, self.paths, self.pause, self.limit = base, paths, pause, limit
        self.timings: dict[str, list[float]] = {path: [] for path in paths}
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as http:
            for _ in range(self.limit):
                if self._stop.is_set():
                    return
                for path in self.paths:
                    started = time.monotonic()
                    self.statuses.append(http.get(path).status_code)
                    self.timings[path].append(time.monotonic() - started)
                time.sleep(self.pause)

    def __enter__(self) -> "Meanwhile":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(15)


def busiest(pids: list[int], before: dict[int, float]) -> int:
    """The pid that used the most CPU since `before`."""
    return max(pids, key=lambda pid: cpu_seconds(pid) - before.get(pid, 0.0))


@pytest.mark.embedded_only(NEVER_ENDS)
def test_runaway_count_is_stopped_its_worker_killed_and_health_stays_fast(real_server):
    base = real_server.base
    real_server.wait_ready()
    workers = real_server.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    answer: dict = {}

    def runaway() -> None:
        started = time.monotonic()
        answer["response"] = run(base, RUNAWAY)
        answer["elapsed"] = time.monotonic() - started
        answer["at"] = time.monotonic()

    query = threading.Thread(target=runaway)
    with Meanwhile(base, ["/health"]) as health:
        query.start()
        time.sleep(1.0)
        running = busiest(workers, cpu_before)
        query.join(TIMEOUT_S + 5)
    response = answer["response"]
    assert response.status_code == 503 and "time limit" in response.text
    assert response.headers["retry-after"]
    assert answer["elapsed"] <= TIMEOUT_S + 1.0
    # the worker that ran it is dead (killed before the answer was sent), so it burns no more CPU
    while not is_dead(running) and time.monotonic() < answer["at"] + 1.0:
        time.sleep(0.02)
    assert is_dead(running), f"worker {running} still runs after the 503"
    idle = [pid for pid in workers if pid != running]
    spent = {pid: cpu_seconds(pid) for pid in idle}
    time.sleep(0.5)
    assert all(cpu_seconds(pid) - spent[pid] < 0.1 for pid in idle)
    # /health answered quickly all along
    samples = health.timings["/health"]
    assert len(samples) >= 20 and set(health.statuses) == {200}
    assert percentile(samples, 95) <= 0.2, sorted(samples)[-5:]
    # the next query is served normally, by the worker left and the one that replaced the killed one
    assert count(base, "SELECT (COUNT(*) AS ?n) WHERE { ?a a ctkg:RegulatoryAuthority }") > 0
    real_server.wait_ready()
    assert running not in real_server.workers()


# --- 5. ORDER BY ... LIMIT on a cross product: memory ----------------------------------------------------

SORTED_CROSS_PRODUCT = "SELECT ?s WHERE { ?a ?b ?c . ?d ?e ?f . ?s ?h ?i } ORDER BY ?s ?c ?f LIMIT 10"


@pytest.mark.embedded_only(NEVER_ENDS)
def test_sorted_cross_product_stops_within_the_memory_cap(real_server, real_settings):
    base = real_server.base
    real_server.wait_ready()
    cap_mb = real_settings.worker_memory_mb
    started = time.monotonic()
    with peak_memory_of(real_server.workers()) as peak:
        response = run(base, SORTED_CROSS_PRODUCT)
    assert time.monotonic() - started <= TIMEOUT_S + 1.0
    assert response.status_code == 503 and response.headers["retry-after"]  # the deadline or the cap stopped it
    assert 0 < peak[0] <= cap_mb
    assert real_server.process.poll() is None
    real_server.wait_ready()
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
def test_slow_regex_and_paths_end_by_the_deadline_and_others_are_served(real_server, name):
    base = real_server.base
    real_server.wait_ready()
    with Meanwhile(base, ["/health", "/authorities/fda", "/search?q=fda"], pause=0.1) as others:
        time.sleep(0.1)
        started = time.monotonic()
        response = run(base, SLOW_QUERIES[name])
        elapsed = time.monotonic() - started
        time.sleep(0.2)
    assert response.status_code in (200, 503), response.text
    assert elapsed <= TIMEOUT_S + 1.0
    assert_no_leak(response)
    assert others.statuses and set(others.statuses) == {200}
    assert max(max(t) for t in others.timings.values()) < 1.0
    real_server.wait_ready()


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
