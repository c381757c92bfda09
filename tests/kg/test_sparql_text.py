"""Values bound into SPARQL text: where the VALUES blocks go, and that a value never becomes syntax."""

import pyoxigraph as ox
import pytest

from kg.query import rows
from kg.sparql_text import bind_values, where_groups

IRI = ox.NamedNode("http://example.org/a")


@pytest.mark.parametrize("text, groups", [
    ("SELECT ?s WHERE { ?s ?p ?o }", 1),
    ("select ?s where{ ?s ?p ?o }", 1),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", 1),  # the template is not a WHERE group
    ("SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", 2),  # a subquery's WHERE too
    ("SELECT ?s WHERE { ?s ex:where ?o . ?s ?where ?o }", 1),  # a prefixed name and a variable are not keywords
    ('SELECT ?s WHERE { ?s ?p "WHERE { x }" }  # WHERE { in a comment', 1),
    ("SELECT ?s WHERE { ?s <http://example.org/WHERE#{> ?o }", 1),
    ("SELECT ?s { ?s ?p ?o }", 0),
])
def test_where_groups(text, groups):
    assert len(where_groups(text)) == groups


def test_values_open_each_where_group():
    text = "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }"
    bound = bind_values(text, {"s": IRI})
    assert bound.count("VALUES (?s) { (<http://example.org/a>) }") == 2


def test_no_bindings_leaves_the_text_alone():
    assert bind_values("SELECT ?s { ?s ?p ?o }", {}) == "SELECT ?s { ?s ?p ?o }"


def test_a_query_without_where_cannot_take_bindings():
    with pytest.raises(ValueError, match="WHERE keyword"):
        bind_values("SELECT ?s { ?s ?p ?o }", {"s": IRI})


@pytest.mark.parametrize("name", ["?s", "s o", "s)", ""])
def test_a_binding_name_must_be_a_variable_name(name):
    with pytest.raises(ValueError, match="not a variable name"):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {name: IRI})


@pytest.mark.parametrize("value", [
    'x" } ; DROP ALL ; SELECT * WHERE { "',
    "x' } UNION { ?s ?p ?o } #",
    'line\nbreak\r\t\\ "quoted" }}} )))',
    '"""long"""',
])
def test_a_literal_stays_one_literal(value):
    """A value full of SPARQL syntax is matched as the literal it is, on a real store."""
    store = ox.Store()
    store.add(ox.Quad(IRI, ox.NamedNode("http://example.org/label"), ox.Literal(value)))
    store.add(ox.Quad(IRI, ox.NamedNode("http://example.org/label"), ox.Literal("other")))
    found = rows(store, "SELECT ?s WHERE { ?s <http://example.org/label> ?label }", {"label": ox.Literal(value)})
    assert found == [{"s": IRI.value}]


def test_a_bound_variable_need_not_be_selected_and_bound_sees_it():
    store = ox.Store()
    store.add(ox.Quad(IRI, ox.NamedNode("http://example.org/p"), ox.Literal("1")))
    found = rows(store, "SELECT ?o (BOUND(?s) AS ?b) WHERE { ?s ?p ?o }", {"s": IRI})
    assert found == [{"o": "1", "b": "true"}]


def test_the_module_examples_run():
    import doctest

    import kg.sparql_text

    assert doctest.testmod(kg.sparql_text).failed == 0
