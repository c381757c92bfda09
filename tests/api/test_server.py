"""The real server (`ctkg serve` under uvicorn on 127.0.0.1, serving all of data/): used by a real SPARQL
client library; a GET carrying a query as long as the query limit allows reaches the endpoint; and its own
end, by SIGTERM within the deadline even with a query running, and by SIGKILL leaving no worker behind.
What it refuses and how it holds under bad queries and load: test_screen.py, test_guards.py, test_pool.py."""

import signal
import time
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from kg.vocab import CTKG
from tests.support.polling import wait_until
from tests.support.processes import busy_worker, children, cpu_seconds, is_dead
from tests.support.queries import RUNAWAY, run
from tests.support.servers import CtkgServer
from tests.support.threads import InThread

from .conftest import MARGIN_S, NEVER_ENDS, TIMEOUT_S, ctkg_serve

AUTHORITIES = "SELECT DISTINCT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a"
AUTHORITY_GRAPH = ("CONSTRUCT { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } "
                   "WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label }")


def client_for(base: str, query: str, fmt: str) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(f"{base}/sparql")
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    wrapper.setTimeout(10)
    return wrapper


def test_sparqlwrapper_json(server):
    base, _ = server
    bindings = client_for(base, AUTHORITIES, JSON).queryAndConvert()["results"]["bindings"]
    labels = {b["label"]["value"] for b in bindings}
    assert len(bindings) == len(labels) > 7 and "U.S. Food and Drug Administration" in labels


def test_sparqlwrapper_xml(server):
    base, _ = server
    document = client_for(base, AUTHORITIES, XML).queryAndConvert()
    labels = {node.firstChild.data for node in document.getElementsByTagName("literal")}
    assert "U.S. Food and Drug Administration" in labels


@pytest.mark.parametrize(("fmt", "separator"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_and_tsv(server, fmt, separator):
    base, _ = server
    text = client_for(base, AUTHORITIES, fmt).queryAndConvert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].replace("?", "") == f"a{separator}label"
    assert any("U.S. Food and Drug Administration" in line for line in lines[1:])


@pytest.mark.parametrize(("fmt", "syntax"), [(TURTLE, "turtle"), (JSONLD, "json-ld"), (XML, "xml")])
def test_sparqlwrapper_construct(server, fmt, syntax):
    base, _ = server
    result = client_for(base, AUTHORITY_GRAPH, fmt).query()
    graph = Graph().parse(data=result.response.read(), format=syntax)
    assert len(set(graph.subjects(None, CTKG.RegulatoryAuthority))) > 7


def test_construct_as_n_triples(server):
    base, _ = server
    response = httpx.get(f"{base}/sparql", params={"query": AUTHORITY_GRAPH},
                         headers={"Accept": "application/n-triples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert len(set(Graph().parse(data=response.text, format="nt").subjects(None, CTKG.RegulatoryAuthority))) > 7


def test_service_description_and_rest(server):
    base, _ = server
    assert "sd:Service" in httpx.get(f"{base}/sparql").text
    assert httpx.get(f"{base}/products").json()["count"] >= 1
    assert httpx.get(f"{base}/docs").status_code == 200
    assert "/sparql" in httpx.get(f"{base}/openapi.json").json()["paths"]


def test_describe_gives_each_triple_once(server):
    base, _ = server  # the FDA is stated by several sources: the union holds its triples several times
    lines = httpx.get(f"{base}/sparql", params={"query": "DESCRIBE id:authority\\/fda"},
                      headers={"Accept": "application/n-triples"}).text.strip().splitlines()
    assert len(lines) > 3 and len(lines) == len(set(lines))


def test_a_long_url_within_the_query_limit_reaches_the_endpoint(real_server, real_settings):
    # ~9 kB of query whose percent-encoding is ~27 kB: more than h11's default 16 kB for a request line
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "{}" * ((real_settings.max_query_bytes - 100) // 2)
    response = run(real_server.base, query)
    assert response.status_code == 200, response.text[:200]


# --- the server's own end -------------------------------------------------------------------------------

@pytest.fixture
def doomed(real_settings, tmp_path) -> Iterator[CtkgServer]:
    """A server of its own, for a test that ends it (2 s time limit)."""
    with ctkg_serve(real_settings, tmp_path / "server.log") as server:
        yield server


def _start_runaway(server: CtkgServer) -> InThread:
    """The runaway query on a thread, returned once a worker runs it."""
    workers = server.workers()
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    query = InThread(lambda: run(server.base, RUNAWAY, timeout=30))
    wait_until(lambda: busy_worker(workers, cpu_before, cpu=0.1), timeout=TIMEOUT_S + MARGIN_S,
               what="a worker running the query")
    return query


@pytest.mark.embedded_only(NEVER_ENDS)
def test_sigterm_ends_the_server_within_the_deadline_even_with_a_query_running(doomed):
    workers = doomed.workers()
    query = _start_runaway(doomed)
    signalled = time.monotonic()  # not before: the query's way to a worker is no part of the server's end
    doomed.process.send_signal(signal.SIGTERM)
    doomed.process.wait(TIMEOUT_S + MARGIN_S + 10)
    ended = time.monotonic() - signalled
    response = query.result(10)
    # the server waits for the running query's deadline at most (the tests' 2 s time limit), not for the query
    assert ended <= TIMEOUT_S + MARGIN_S, f"the server took {ended:.2f} s to end after SIGTERM"
    assert response.status_code == 503  # the running query got its answer before the end
    assert all(is_dead(pid) for pid in workers) and not children(doomed.pid)


@pytest.mark.embedded_only(NEVER_ENDS)
def test_a_killed_server_leaves_no_query_running(doomed):
    workers = doomed.workers()
    query = _start_runaway(doomed)
    doomed.process.kill()
    doomed.process.wait(5)
    with pytest.raises(httpx.HTTPError):  # its connection ended with the server
        query.result(10)
    wait_until(lambda: all(is_dead(pid) for pid in workers), timeout=MARGIN_S, what="every worker ending with "
               "its server (a worker outlived its server)")


def test_a_server_without_jemalloc_says_so(monkeypatch, caplog):
    # Without the library nothing else would tell: the server runs, only slower (bench/README.md).
    from api import server

    monkeypatch.setattr(server, "jemalloc", lambda: None)
    with caplog.at_level("WARNING", logger="ctkg.api.server"):
        server._with_jemalloc()  # returns: nothing to start again with
    (said,) = [record.getMessage() for record in caplog.records]
    assert "libjemalloc2" in said and "CTKG_JEMALLOC=false" in said and "7-10% faster" in said, said
    monkeypatch.setattr(server, "jemalloc", lambda: "libjemalloc.so.2")
    monkeypatch.setenv("LD_PRELOAD", "libjemalloc.so.2")  # loaded already: nothing to do, nothing to say
    caplog.clear()
    server._with_jemalloc()
    assert not caplog.records
