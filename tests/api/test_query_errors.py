"""No client query is a 500, on the real server (`ctkg serve`) on 127.0.0.1: a query the endpoint cannot read or
run is a 400 that names the fault, an answer the asked format cannot carry is a 406 that names the formats
that can, an empty query is a 400; and relative IRIs mean instances (`<product/x>`), resolved against the
instance namespace, which names things and fetches nothing."""

import httpx
import pyoxigraph as ox
import pytest

from kg.vocab import ID, ONTOLOGY_IRI

from .conftest import assert_no_leak

PRODUCT = "product/equecabtagene-autoleucel"  # in data/sources/fucaso-hong-kong-approval.yaml
SOLUTIONS_JSON = "application/sparql-results+json"
TRIPLE_TERM = "CONSTRUCT { <thing/a> <thing/says> <<( <thing/b> <thing/c> <thing/d> )>> } WHERE {}"


def post(server, query: str, accept: str = SOLUTIONS_JSON) -> httpx.Response:
    return httpx.post(server.query_url, content=query.encode("utf-8"), timeout=30,
                      headers={"Content-Type": "application/sparql-query", "Accept": accept})


def values(response: httpx.Response) -> list[dict[str, str]]:
    parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    return [{v.value: s[v.value].value for v in parsed.variables if s[v.value] is not None} for s in parsed]


# (query, what the 400 must say)
UNREADABLE = {
    "escape past U+10FFFF in a comment": ("# \\U00110000\nSELECT * WHERE { ?s ?p ?o } LIMIT 1", "\\U00110000"),
    "escape past U+10FFFF in a string": ('SELECT * WHERE { ?s ?p "\\U00110000" }', "\\U00110000"),
    "unknown XSD function": ("SELECT (xsd:foo(1) AS ?x) WHERE {}", "<http://www.w3.org/2001/XMLSchema#foo>"),
    "unknown extension function": ("SELECT ?x WHERE { BIND(<http://example.org/f>(1) AS ?x) }",
                                   "<http://example.org/f>"),
    "unknown function in FILTER": ("PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ?o FILTER(ex:f(?o)) }",
                                   "<http://example.org/f>"),
    "empty": ("", "empty"),
    "white space": (" \n\t ", "empty"),
    "a comment alone": ("# SELECT * WHERE { ?s ?p ?o }\n", "empty"),
    "a prologue alone": ("PREFIX ex: <http://example.org/>", "syntax error"),
    "an undeclared prefix in FROM": ("SELECT * FROM nope:g WHERE { ?s ?p ?o }", "nope"),
    "a negative decimal that the checker fails on": (
        f"SELECT * FROM <{ONTOLOGY_IRI}> WHERE {{ <a> <b> -1.0 }}", "-1.0"),
}


@pytest.mark.parametrize(("query", "says"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_query_that_cannot_be_read_or_run_is_a_400_naming_why(real_server, query, says):
    response = post(real_server, query)
    assert response.status_code == 400, response.text
    assert says in response.text, response.text
    assert_no_leak(response, echoed=query)


def test_a_negative_decimal_after_two_iris_is_read(real_server):
    response = post(real_server, "SELECT * WHERE { <a><b>-1.0 }")
    assert response.status_code == 200, response.text
    assert values(response) == []


def test_relative_iris_are_instances(real_server):
    response = post(real_server, f"SELECT (<{PRODUCT}> AS ?iri) (COUNT(*) AS ?statements) "
                                 f"WHERE {{ <{PRODUCT}> ?p ?o }}")
    assert response.status_code == 200, response.text
    [row] = values(response)
    assert row["iri"] == f"{ID}{PRODUCT}" and int(row["statements"]) > 0


def test_a_base_in_the_query_is_resolved_against_the_instance_namespace(real_server):
    response = post(real_server, "BASE <http://example.org/> SELECT (<a> AS ?absolute) WHERE {}")
    assert values(response) == [{"absolute": "http://example.org/a"}]
    response = post(real_server, "BASE <product/> SELECT (<x> AS ?relative) WHERE {}")
    assert values(response) == [{"relative": f"{ID}product/x"}]


def test_a_relative_from_names_a_graph_and_fetches_nothing(real_server, listener):
    for query, graph in (("SELECT * FROM <graph/g> WHERE { ?s ?p ?o }", f"{ID}graph/g"),
                         (f"BASE <http://127.0.0.1:{listener.port}/> SELECT * FROM NAMED <g> WHERE {{ ?s ?p ?o }}",
                          f"http://127.0.0.1:{listener.port}/g")):
        response = post(real_server, query)
        assert response.status_code == 400 and f"<{graph}>" in response.text, response.text
    assert listener.received() == 0


# (query, the format asked for, what the 406 must say): answers that the format cannot carry.
UNWRITABLE = {
    "triple term as JSON-LD": (TRIPLE_TERM, "application/ld+json", "RDF 1.2"),
    "control character in XML results": ('SELECT ?text WHERE { BIND("a\\u0001b" AS ?text) }',
                                         "application/sparql-results+xml", "U+0001"),
    "control character in RDF/XML": ('CONSTRUCT { <thing/a> <thing/says> "a\\u0008b" } WHERE {}',
                                      "application/rdf+xml", "U+0008"),
    "predicate without an XML name in RDF/XML": ('CONSTRUCT { <thing/a> <http://example.org/1> "x" } WHERE {}',
                                                 "application/rdf+xml", "<http://example.org/1>"),
}


@pytest.mark.parametrize(("query", "accept", "says"), UNWRITABLE.values(), ids=UNWRITABLE.keys())
def test_an_answer_the_format_cannot_carry_is_a_406_naming_the_formats_that_can(real_server, query, accept, says):
    response = post(real_server, query, accept)
    assert response.status_code == 406, response.text
    assert says in response.text and accept in response.text, response.text
    kind = "solutions" if query.startswith("SELECT") else "graph"
    other = SOLUTIONS_JSON if kind == "solutions" else "application/n-triples"
    assert other in response.text
    assert post(real_server, query, other).status_code == 200
