"""The real server (`ctkg serve` under uvicorn on 127.0.0.1, serving all of data/), used by a real SPARQL
client library. What it refuses and how it holds under bad queries and load: test_hardening_*.py."""

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from kg.vocab import CTKG

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
