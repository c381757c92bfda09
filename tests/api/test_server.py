"""The real server (`ctkg serve` under uvicorn on 127.0.0.1, serving all of data/), used by a real SPARQL
client library; a runaway query; SERVICE, LOAD and remote FROM against a listener standing in for an
outside host; injection attempts over HTTP."""

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from kg.vocab import CTKG

from .conftest import TIMEOUT_S

AUTHORITIES = "SELECT DISTINCT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a"
AUTHORITY_GRAPH = ("CONSTRUCT { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } "
                   "WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label }")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


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


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_runaway_query_is_stopped_while_others_are_served(server):
    base, process = server
    timings: dict[str, list[float]] = {"health": [], "lookup": []}

    def meanwhile() -> None:
        time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=5) as http:
            for _ in range(8):
                for name, path in (("health", "/health"), ("lookup", "/products")):
                    started = time.monotonic()
                    assert http.get(path).status_code == 200
                    timings[name].append(time.monotonic() - started)
                time.sleep(0.05)

    other = threading.Thread(target=meanwhile)
    other.start()
    started = time.monotonic()
    response = httpx.get(f"{base}/sparql", params={"query": RUNAWAY}, timeout=30)
    elapsed = time.monotonic() - started
    other.join(15)
    assert response.status_code == 503 and "time limit" in response.text
    assert elapsed < TIMEOUT_S + 1.0
    assert len(timings["health"]) == len(timings["lookup"]) == 8
    assert max(timings["health"]) < 0.5 and max(timings["lookup"]) < 1.0
    # the runaway work is really stopped: no worker burns CPU afterwards
    time.sleep(0.5)
    workers = _children(process.pid)
    before = {pid: _cpu_seconds(pid) for pid in workers}
    time.sleep(1.0)
    burnt = {pid: _cpu_seconds(pid) - spent for pid, spent in before.items()}
    assert workers and max(burnt.values()) < 0.3, burnt
    assert httpx.get(f"{base}/sparql", params={"query": AUTHORITIES}).status_code == 200


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ sErViCe <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_and_nothing_is_sent(server, listener, template):
    base, _ = server
    query = template.format(port=listener.port)
    for response in (httpx.get(f"{base}/sparql", params={"query": query}),
                     httpx.post(f"{base}/sparql", data={"query": query})):
        assert response.status_code == 400 and "SERVICE" in response.text
    time.sleep(0.2)
    assert listener.connections == 0


@pytest.mark.parametrize("template", [
    "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <http://example.org/g>",
])
def test_load_is_refused_and_nothing_is_fetched(server, listener, template):
    base, _ = server
    update = template.format(port=listener.port)
    assert httpx.post(f"{base}/sparql", data={"update": update}).status_code == 403
    assert httpx.post(f"{base}/sparql", data={"query": update}).status_code == 403
    time.sleep(0.2)
    assert listener.connections == 0


def test_remote_from_is_refused_and_nothing_is_fetched(server, listener):
    base, _ = server
    remote = f"http://127.0.0.1:{listener.port}/data.ttl"
    for params in ({"query": f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}"},
                   {"query": f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
                   {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": remote}):
        assert httpx.get(f"{base}/sparql", params=params).status_code == 400
    time.sleep(0.2)
    assert listener.connections == 0


@pytest.mark.parametrize(("path", "params"), [
    ("/search", {"q": 'fda" } UNION { ?s ?p ?o } #'}),
    ("/search", {"q": "x> } UNION { ?s ?p ?o"}),
    ("/applications", {"regulator": 'fda" || true'}),
    ("/applications", {"status": "approved> } UNION {"}),
    ("/authorities/fda%22%20%7D%20UNION%20%7B", {}),
    ("/products/%3E%7D", {}),
    ("/id/authority/fda%3E%20%3Fp%20%3Fo", {}),
])
def test_injection_over_http_finds_nothing_and_breaks_nothing(server, path, params):
    base, _ = server
    response = httpx.get(f"{base}{path}", params=params)
    assert response.status_code in (200, 404, 422)
    if response.status_code == 200:
        assert response.json()["count"] == 0


def test_describe_gives_each_triple_once(server):
    base, _ = server  # the FDA is stated by several sources: the union holds its triples several times
    lines = httpx.get(f"{base}/sparql", params={"query": "DESCRIBE id:authority\\/fda"},
                      headers={"Accept": "application/n-triples"}).text.strip().splitlines()
    assert len(lines) > 3 and len(lines) == len(set(lines))
