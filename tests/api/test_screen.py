"""The screen: size and nesting before any parser, then the tokens where their reading is certain, else
the parse tree, for updates, SERVICE and FROM."""

import pytest

from api.errors import QuerySyntaxError, QueryTooDeep, QueryTooLarge, ServiceRefused, UpdateRefused
from api.screen import (
    check_size_and_nesting,
    explain_syntax_error,
    has_service_keyword,
    inspect,
    nesting_depth,
    parsed_shape,
    quick_shape,
)
from kg.vocab import PREFIXES

from .conftest import ROOT


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
        parsed_shape(query, PREFIXES)
    with pytest.raises(ServiceRefused):  # and the tokens alone find it too
        quick_shape(query)
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
        parsed_shape("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", PREFIXES)
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


def test_a_syntax_error_the_engine_finds_is_explained_with_its_line():
    explained = explain_syntax_error("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", PREFIXES, "engine says")
    assert isinstance(explained, QuerySyntaxError) and "line 3" in explained.message
    # where rdflib finds no fault, the engine's own message stands
    assert "engine says" in explain_syntax_error("SELECT * WHERE { ?s ?p ?o }", PREFIXES, "engine says").message


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "\\u0041" }',  # an escape rdflib and Jena decode before they read anything
    "SELECT * WHERE { BIND('''long''' AS ?x) }",
    'SELECT * WHERE { BIND("""long""" AS ?x) }',
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o \\ }",  # a backslash that escapes nothing in a name
    "JUNK",
])
def test_what_the_tokens_cannot_settle_goes_to_the_parser(query):
    assert quick_shape(query) is None


def test_an_escaped_hash_in_a_prefixed_name_hides_nothing():
    """`ex:a\\#b` is one name to a SPARQL lexer: its `#` opens no comment that could hide SERVICE."""
    query = "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b ?o . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert has_service_keyword(query)
    with pytest.raises(ServiceRefused):
        quick_shape(query)


def test_a_long_string_whose_end_lexers_may_read_differently_is_parsed():
    query = "SELECT * WHERE { BIND('''a'''' AS ?x) SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } #'"
    assert quick_shape(query) is None
    with pytest.raises((ServiceRefused, QuerySyntaxError)):
        inspect(query, PREFIXES)


QUERY_FILES = sorted([*(ROOT / "kg" / "queries").glob("*.rq"), *(ROOT / "api" / "queries").glob("*.rq")])


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_tokens_read_what_the_parser_reads(path):
    text = path.read_text(encoding="utf-8")
    quick = quick_shape(text)
    assert quick is not None, "the project's own queries are read from their tokens"
    assert quick == parsed_shape(text, PREFIXES)
