"""The SPARQL 1.1 Protocol endpoint, in-process: query forms and methods, every format, the dataset
parameters, the service description, and what is refused or bounded. Then on the real server: the row cap,
and the size limits on a query and on a request's body (413), a body announced too large refused before it
is sent."""

import csv
import io
import socket

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from api.app import create_app
from kg.vocab import CTKG, ID, ONTOLOGY_IRI
from tests.support.queries import run

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SOURCE = str(ID["source/pharmaceutical-technology-fucaso-hong-kong-approval"])
AUTHORITIES = "SELECT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a"
AUTHORITY_GRAPH = ("CONSTRUCT { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } "
                   "WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label }")
UPDATE = {"Content-Type": "application/sparql-update"}
QUERY = {"Content-Type": "application/sparql-query"}
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
                 "application/rdf+xml": "xml"}


def rows(body: bytes, fmt: ox.QueryResultsFormat) -> set[tuple[str, ...]]:
    """The solutions of a serialized answer, as a set of tuples of values (CSV keeps no types, and
    pyoxigraph does not read it back)."""
    if fmt == ox.QueryResultsFormat.CSV:
        return {tuple(row) for row in list(csv.reader(io.StringIO(body.decode("utf-8"))))[1:]}
    parsed = ox.parse_query_results(body, format=fmt)
    names = [v.value for v in parsed.variables]
    return {tuple(s[n].value for n in names) for s in parsed}


def sparql(client, query: str, accept: str | None = None, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql", params={"query": query, **params}, headers=headers)


@pytest.mark.parametrize(("media_type", "fmt"), RESULT_FORMATS.items())
def test_select_in_each_results_format(client, media_type, fmt):
    response = sparql(client, AUTHORITIES, media_type)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    found = rows(response.content, fmt)
    assert len(found) == 7
    assert (str(ID["authority/fda"]), "U.S. Food and Drug Administration") in found


@pytest.mark.parametrize(("media_type", "syntax"), GRAPH_FORMATS.items())
def test_construct_in_each_graph_format(client, media_type, syntax):
    response = sparql(client, AUTHORITY_GRAPH, media_type)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = Graph().parse(data=response.content, format=syntax)
    assert len(set(graph.subjects(RDF.type, CTKG.RegulatoryAuthority))) == 7
    assert (URIRef(ID["authority/fda"]), RDFS.label, Literal("U.S. Food and Drug Administration")) in graph


def test_every_graph_format_gives_the_same_graph(client):
    graphs = [Graph().parse(data=sparql(client, AUTHORITY_GRAPH, media_type).content, format=syntax)
              for media_type, syntax in GRAPH_FORMATS.items()]
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


def test_describe(client):
    response = sparql(client, "DESCRIBE id:authority\\/fda", "text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    assert (URIRef(ID["authority/fda"]), CTKG.jurisdiction, URIRef(ID["jurisdiction/united-states"])) in graph


@pytest.mark.parametrize(("media_type", "expected"), [
    ("application/sparql-results+json", b'"boolean":true'), ("application/sparql-results+xml", b"<boolean>true"),
    ("text/csv", b"true"),
])
def test_ask(client, media_type, expected):
    response = sparql(client, "ASK { ?a a ctkg:RegulatoryAuthority }", media_type)
    assert expected in response.content.replace(b" ", b"")


def test_json_is_the_default_and_turtle_for_graphs(client):
    assert sparql(client, AUTHORITIES).headers["content-type"] == "application/sparql-results+json"
    assert sparql(client, AUTHORITY_GRAPH).headers["content-type"].startswith("text/turtle")


def test_post_form_and_post_query(client):
    expected = rows(sparql(client, AUTHORITIES).content, ox.QueryResultsFormat.JSON)
    form = client.post("/sparql", data={"query": AUTHORITIES})
    direct = client.post("/sparql", content=AUTHORITIES.encode(), headers=QUERY)
    for response in (form, direct):
        assert response.status_code == 200, response.text
        assert rows(response.content, ox.QueryResultsFormat.JSON) == expected


def test_format_parameter_overrides_accept(client):
    response = sparql(client, AUTHORITIES, "application/sparql-results+json", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    response = client.post("/sparql", data={"query": AUTHORITY_GRAPH, "format": "json-ld"})
    assert response.headers["content-type"] == "application/ld+json"


@pytest.mark.parametrize(("query", "accept", "params"), [
    (AUTHORITIES, "text/turtle", {}),
    (AUTHORITY_GRAPH, "text/csv", {}),
    (AUTHORITIES, None, {"format": "pdf"}),
    (AUTHORITIES, "image/png", {}),
])
def test_406_when_the_answer_cannot_take_that_format(client, query, accept, params):
    assert sparql(client, query, accept, **params).status_code == 406


def test_service_description(client):
    response = client.get("/sparql")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    (service,) = graph.subjects(RDF.type, SD.Service)
    # the server's own address (BASE_URL unset), never the Host header the client sent (testserver)
    assert (service, SD.endpoint, URIRef("http://127.0.0.1:8000/sparql")) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in graph
    assert {str(n) for n in graph.objects(None, SD.name)} == {SOURCE, str(ONTOLOGY_IRI)}
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert isomorphic(Graph().parse(data=as_jsonld.content, format="json-ld"), graph)


def test_syntax_error_is_400_and_says_where(client):
    response = sparql(client, "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }")
    assert response.status_code == 400
    assert "line 3" in response.text and response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "url": "/sparql", "params": {"update": "DROP ALL"}},
    {"method": "POST", "url": "/sparql", "data": {"update": "DROP ALL"}},
    {"method": "POST", "url": "/sparql", "content": b"DROP ALL", "headers": UPDATE},
    {"method": "GET", "url": "/sparql", "params": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
    {"method": "POST", "url": "/sparql", "data": {"query": "LOAD <http://127.0.0.1:9/x.ttl>"}},
    {"method": "POST", "url": "/sparql", "content": b"CLEAR ALL", "headers": QUERY},
])
def test_updates_are_refused_and_change_nothing(client, request_kwargs):
    before = sparql(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").content
    response = client.request(**request_kwargs)
    assert response.status_code == 403 and "read-only" in response.text
    assert sparql(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").content == before


def test_service_is_refused(client):
    response = sparql(client, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert response.status_code == 400 and "SERVICE" in response.text


def count(client, query: str, **params) -> int:
    response = sparql(client, query, **params)
    assert response.status_code == 200, response.text
    return int(next(iter(rows(response.content, ox.QueryResultsFormat.JSON)))[0])


def test_the_default_graph_is_the_union_and_from_selects_a_graph(client):
    everything = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    source = count(client, f"SELECT (COUNT(*) AS ?n) FROM <{SOURCE}> WHERE {{ ?s ?p ?o }}")
    ontology = count(client, f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_IRI}> WHERE {{ ?s ?p ?o }}")
    assert 0 < source < everything and source + ontology == everything
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": SOURCE}) == source
    named = count(client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": SOURCE})
    assert named == source


@pytest.mark.parametrize(("query", "params"), [
    ("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", {}),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", {}),
    ("SELECT * FROM NAMED <http://127.0.0.1:9/data.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
    ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": "file:///etc/passwd"}),
    ("SELECT * WHERE { ?s ?p ?o }", {"named-graph-uri": "http://127.0.0.1:9/data.ttl"}),
])
def test_graphs_that_are_not_in_the_store_are_refused(client, query, params):
    response = sparql(client, query, **params)
    assert response.status_code == 400
    assert "not a graph of this store" in response.text and "root:" not in response.text


def test_size_nesting_and_body_limits(client, settings):
    assert sparql(client, "SELECT * WHERE { ?s ?p ?o } #" + "x" * settings.max_query_bytes).status_code == 413
    deep = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
    response = client.post("/sparql", content=deep.encode(), headers=QUERY)
    assert response.status_code == 413  # 10 kB of braces: over the size limit before anything else
    deep = "SELECT * WHERE " + "{" * 100 + " ?s ?p ?o " + "}" * 100
    assert sparql(client, deep).status_code == 400
    huge = b"query=" + b"x" * (settings.max_body_bytes + 1)
    response = client.post("/sparql", content=huge, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_other_bad_requests(client):
    assert client.post("/sparql", content=b"{}", headers={"Content-Type": "application/json"}).status_code == 415
    assert client.get("/sparql", params=[("query", AUTHORITIES), ("query", AUTHORITIES)]).status_code == 400
    assert client.post("/sparql", data={"format": "json"}).status_code == 400
    bad_utf8 = client.post("/sparql", content=b"\xff\xfe", headers=QUERY)
    assert bad_utf8.status_code == 400


@pytest.fixture(scope="module")
def capped(settings):
    """The application with a row limit of 5."""
    with TestClient(create_app(settings.model_copy(update={"max_rows": 5, "query_workers": 1}))) as test_client:
        yield test_client


def test_more_rows_than_the_cap_is_an_error_never_a_cut(capped):
    response = sparql(capped, AUTHORITIES)
    assert response.status_code == 422 and "more than 5 rows" in response.text
    assert sparql(capped, AUTHORITIES + " LIMIT 5").status_code == 200
    assert sparql(capped, AUTHORITY_GRAPH).status_code == 422


def test_counts_on_the_default_graph_are_not_inflated_by_sources(real_server):
    """All of data/ (several sources state the same triples): the default graph is their union as a set,
    so COUNT(*) equals the number of distinct triples, as analysts expect."""
    import httpx

    real_server.wait_ready()

    def count(query: str) -> int:
        response = httpx.get(f"{real_server.base}/sparql", params={"query": query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=10)
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    plain = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    # A remote server (--backend remote) also holds the record of the pushed build, a graph of its own.
    distinct = count("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                     "FILTER (?g != id:dataset\\/ctkg) } }")
    assert plain == distinct > 0
    assert count("SELECT (COUNT(*) AS ?n) WHERE { <https://w3id.org/ctkg/id/authority/nmpa> rdfs:label ?l }") == 1


# --- on the real server (`ctkg serve` on 127.0.0.1, all of data/): the row cap and the size limits ---------

def test_more_rows_than_the_cap_is_an_error_never_a_cut_on_the_real_server(real_server, real_settings):
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

    assert httpx.post(f"{base}/sparql", content=chunks(), headers=QUERY).status_code == 413


def test_a_body_announced_too_large_is_refused_before_it_is_sent(real_server):
    with socket.create_connection(("127.0.0.1", real_server.port), timeout=5) as raw:
        raw.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                    b"Content-Length: 100000000\r\n\r\nSELECT")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
