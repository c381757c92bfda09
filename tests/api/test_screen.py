"""The screen: size and nesting before any parser, then the parse tree (not keywords) for updates,
SERVICE and FROM."""

import pytest

from api.errors import QuerySyntaxError, QueryTooDeep, QueryTooLarge, ServiceRefused, UpdateRefused
from api.screen import check_size_and_nesting, has_service_keyword, inspect, nesting_depth
from kg.vocab import PREFIXES


def test_nesting_ignores_strings_and_comments():
    assert nesting_depth('SELECT * { ?s ?p "{{{{" } # {{{{{') == 1


def test_nesting_counts_what_reads_as_an_iri():
    # `<((1))>` is an IRI to a lexer, a comparison of parenthesised 1 to the engine
    assert nesting_depth("SELECT * { FILTER(?a<((1))>?b) }") == 4


def test_nesting_counts_decoded_escapes():
    query = "SELECT * WHERE " + "\\u007B" * 100 + " ?s ?p ?o " + "\\u007D" * 100
    with pytest.raises(QueryTooDeep):
        check_size_and_nesting(query, 10_000, 64)


def test_thousands_of_braces_never_reach_a_parser():
    query = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    with pytest.raises(QueryTooDeep):
        check_size_and_nesting(query, 20_000, 64)


def test_size_limit_in_bytes():
    with pytest.raises(QueryTooLarge):
        check_size_and_nesting("SELECT * { ?s ?p 'é' }" + " " * 10_000, 10_000, 64)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "select * where { sErViCe SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
    "ASK { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "CONSTRUCT WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
])
def test_service_is_refused(query):
    with pytest.raises(ServiceRefused):
        inspect(query, PREFIXES)


SERVICE = "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }"


@pytest.mark.parametrize("query", [
    f"SELECT * {{ {SERVICE} }}",
    f"SELECT * {{ OPTIONAL {{ {SERVICE} }} }}",
    f"SELECT * {{ {{ ?a ?b ?c }} UNION {{ {SERVICE} }} }}",
    f"SELECT * {{ ?a ?b ?c MINUS {{ {SERVICE} }} }}",
    f"SELECT * {{ GRAPH ?g {{ {SERVICE} }} }}",
    f"SELECT * {{ ?a ?b ?c FILTER NOT EXISTS {{ {SERVICE} }} }}",
    f"SELECT (EXISTS {{ {SERVICE} }} AS ?x) {{ }}",
    f"SELECT * {{ BIND(EXISTS {{ {SERVICE} }} AS ?x) }}",
    f"SELECT * {{ {{ SELECT * {{ {{ SELECT * {{ {SERVICE} }} }} }} }} }}",
    f"ASK {{ ?a ?b ?c FILTER(?a || EXISTS {{ {SERVICE} }}) }}",
    f"SELECT ?a {{ ?a ?b ?c }} GROUP BY ?a HAVING (EXISTS {{ {SERVICE} }})",
    f"SELECT * {{ ?a ?b ?c }} ORDER BY (EXISTS {{ {SERVICE} }})",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {SERVICE} }}",
    f"DESCRIBE ?s WHERE {{ {SERVICE} }}",
])
def test_the_parse_tree_alone_finds_service_anywhere(query, monkeypatch):
    monkeypatch.setattr("api.screen.has_service_keyword", lambda text: False)
    with pytest.raises(ServiceRefused):
        inspect(query, PREFIXES)
    with pytest.raises(ServiceRefused):  # and rdflib's reading of escapes is covered too
        inspect(query.replace("SERVICE", "\\u0053ERVICE"), PREFIXES)


@pytest.mark.parametrize("query", [
    'SELECT ?service WHERE { ?service ?p "SERVICE" } # SERVICE',
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o }",
])
def test_the_word_elsewhere_is_not_service(query):
    assert not has_service_keyword(query)
    inspect(query, PREFIXES)


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "DROP ALL",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR DEFAULT",
])
def test_updates_are_refused(update):
    with pytest.raises(UpdateRefused):
        inspect(update, PREFIXES)


def test_syntax_error_says_where():
    with pytest.raises(QuerySyntaxError) as caught:
        inspect("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", PREFIXES)
    assert "line 3" in caught.value.message


def test_dataset_clauses_are_read_from_the_tree():
    shape = inspect("PREFIX ex: <http://example.org/> SELECT * FROM ex:a FROM NAMED <http://example.org/b> "
                    "WHERE { ?s ?p ?o }", PREFIXES)
    assert shape.form == "SELECT"
    assert shape.default_graphs == ("http://example.org/a",)
    assert shape.named_graphs == ("http://example.org/b",)


def test_predeclared_prefixes_resolve_in_from():
    shape = inspect("SELECT * FROM ctkg:x WHERE { ?s ?p ?o }", PREFIXES)
    assert shape.default_graphs == ("https://w3id.org/ctkg/ontology#x",)
