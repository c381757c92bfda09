"""Content negotiation: one table, Accept with q-values and wildcards, and the format parameter."""

import pytest

from api.formats import FORMATS, negotiate


@pytest.mark.parametrize(("accept", "kind", "expected"), [
    (None, "solutions", "application/sparql-results+json"),
    ("*/*", "graph", "text/turtle"),
    ("application/sparql-results+xml", "solutions", "application/sparql-results+xml"),
    ("text/csv", "solutions", "text/csv"),
    ("text/tab-separated-values", "solutions", "text/tab-separated-values"),
    ("application/json", "solutions", "application/sparql-results+json"),
    ("application/json", "graph", "application/ld+json"),
    ("application/rdf+xml", "graph", "application/rdf+xml"),
    ("application/n-triples", "graph", "application/n-triples"),
    ("application/turtle,text/turtle", "graph", "text/turtle"),
    ("text/csv;q=0.5, application/sparql-results+xml", "solutions", "application/sparql-results+xml"),
    ("text/*", "solutions", "text/csv"),
    ("application/ld+json", "record", "application/ld+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "page", "text/html"),
])
def test_accept_chooses(accept, kind, expected):
    assert negotiate(accept, [kind]).media_type == expected


@pytest.mark.parametrize(("accept", "kind"), [
    ("text/turtle", "solutions"),
    ("text/csv", "graph"),
    ("image/png", "record"),
    ("application/json;q=0", "record"),
])
def test_nothing_acceptable(accept, kind):
    assert negotiate(accept, [kind]) is None


def test_browser_gets_html_over_rdf_xml():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert negotiate(browser, ["graph", "page"]).name == "html"
    assert negotiate("*/*", ["graph", "page"]).name == "turtle"


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("json", "solutions", "json"), ("xml", "solutions", "xml"), ("csv", "solutions", "csv"),
    ("xml", "graph", "rdfxml"), ("json-ld", "graph", "jsonld"), ("n3", "graph", "turtle"),
    ("text/turtle", "graph", "turtle"), ("jsonld", "record", "jsonld"),
])
def test_format_parameter_wins(name, kind, expected):
    assert negotiate("text/csv", [kind], name).name == expected


def test_unknown_format_parameter():
    assert negotiate(None, ["solutions"], "pdf") is None


def test_canonical_names_are_unique_within_a_kind():
    keys = [(f.kind, f.name) for f in FORMATS]
    assert len(keys) == len(set(keys))
