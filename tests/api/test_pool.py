"""The pool of query workers (`api.pool`, with `api.worker`'s limits): a query that runs past its deadline
is answered 503 and its worker killed and replaced, one that needs more memory than the cap stops its worker
only, and slow regular expressions and paths end by the deadline while other clients are served.

One test runs the application in-process (its pool of its own); the others talk to `ctkg serve` on 127.0.0.1
(all of data/, a 2 s time limit) of this module's own, or to the guarded server (a 6 s time limit and a
640 MB memory cap): every test here has workers killed.
"""

import os
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import jemalloc
from tests.support.polling import wait_until
from tests.support.processes import busy_worker, cpu_seconds, is_dead, peak_memory_of
from tests.support.queries import RUNAWAY, SORTED_CROSS_PRODUCT, count, run
from tests.support.threads import InThread

from .conftest import GUARDED, MARGIN_S, NEVER_ENDS, TIMEOUT_S, assert_no_leak

# --- a runaway query in-process: the pool kills its worker and starts another ------------------------------

# A count over a cross product of five patterns: on the seed article's graph alone, four would end too soon.
RUNAWAY_ON_THE_SEED = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture
def own_client(settings):
    """The application in-process with a worker pool of its own, for a test that has a worker killed."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.embedded_only(NEVER_ENDS)
def test_runaway_query_is_stopped_and_its_worker_killed(own_client):
    client = own_client
    pool = client.app.state.pool

    def pids() -> set[int]:  # read on the event loop's thread, which adds and removes the pool's workers
        return client.portal.call(lambda: set(pool.pids))

    before = pids()
    query = InThread(lambda: client.get("/sparql", params={"query": RUNAWAY_ON_THE_SEED}))
    wait_until(lambda: client.get("/health").json()["workers_idle"] < len(before) or not query.running(),
               timeout=TIMEOUT_S + MARGIN_S, what="a worker running the query")
    health = [client.get("/health").status_code for _ in range(10)]
    health_while_running = query.running()
    response = query.result(TIMEOUT_S + MARGIN_S + 10)
    assert response.status_code == 503 and "time limit" in response.text
    assert response.headers["retry-after"]
    assert TIMEOUT_S - 0.2 < query.elapsed <= TIMEOUT_S + MARGIN_S  # stopped at its deadline, not before
    assert health == [200] * 10 and health_while_running, "/health was not answered while the query ran"
    wait_until(lambda: pids() - before, timeout=MARGIN_S, what="a new worker in place of the killed one")
    (killed,) = before - pids()
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)
    authorities = "SELECT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a"
    assert client.get("/sparql", params={"query": authorities}).status_code == 200


# --- a runaway query on the real server ---------------------------------------------------------------

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


@pytest.mark.embedded_only(NEVER_ENDS)
def test_runaway_count_is_stopped_its_worker_killed_and_health_stays_up(own_server):
    base = own_server.base
    workers = own_server.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    with Meanwhile(base, ["/health"]) as health:
        query = InThread(lambda: run(base, RUNAWAY))
        running = wait_until(lambda: busy_worker(workers, cpu_before, cpu=0.1), timeout=TIMEOUT_S + MARGIN_S,
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


# --- ORDER BY ... LIMIT on a cross product: the memory cap ------------------------------------------

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


# --- the memory cap stops a query before the deadline does ------------------------------------------

@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_query_that_needs_more_memory_than_the_cap_stops_its_worker_only(guarded):
    with peak_memory_of(guarded.workers()) as peak:
        response = run(guarded.base, SORTED_CROSS_PRODUCT)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "640 MB" in response.text and "time limit" not in response.text  # the cap stopped it, not the deadline
    assert 0 < peak[0] <= GUARDED["worker_memory_mb"]
    assert_no_leak(response)
    assert guarded.process.poll() is None
    guarded.wait_ready()
    assert run(guarded.base, "ASK { ?s ?p ?o }").json()["boolean"] is True


# --- catastrophic regular expressions, unbounded property paths -------------------------------------

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


# --- the workers' allocator -----------------------------------------------------------------------------------

def _maps(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as maps:
        return maps.read()


def test_the_server_and_its_workers_allocate_with_jemalloc_when_it_is_installed(own_server):
    # CI installs Debian's libjemalloc2 (.ci/run); without it, everything keeps glibc's malloc. `ctkg serve`
    # starts again with it preloaded, in the same process: the pid the test started is the server's.
    expected = jemalloc() is not None
    for pid in (own_server.pid, *own_server.workers()):
        assert ("libjemalloc" in _maps(pid)) is expected, pid


# --- which worker takes a job ------------------------------------------------------------------------------

@pytest.mark.embedded_only("it tells the workers apart by the CPU their queries burn, which over a remote server "
                             "is burnt there")
def test_one_clients_queries_go_to_the_worker_idle_the_shortest_time(own_server):
    # A worker that has just answered has its caches warm: one client's queries, one after another, all go to
    # the same worker, and the other burns no CPU meanwhile (the pool's idle workers are a stack, not a queue).
    workers = own_server.workers()
    assert len(workers) == 2
    before = {pid: cpu_seconds(pid) for pid in workers}
    with httpx.Client(base_url=own_server.base, timeout=10) as http:
        for n in range(40):  # each a distinct query, and asked for anew: no cache answers it
            response = http.get("/sparql", headers={"Cache-Control": "no-cache"}, params={
                "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o . ?s ?q ?x }} VALUES ?request {{ {n} }}"})
            assert response.status_code == 200, response.text
    spent = sorted(cpu_seconds(pid) - before[pid] for pid in workers)
    assert spent[1] >= 0.2, spent  # enough work to be measured in clock ticks
    assert spent[0] <= spent[1] / 10, spent
