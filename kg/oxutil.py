"""Conversions between rdflib terms (used to parse and build) and pyoxigraph terms (used to store and query)."""

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD


def to_ox(term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    raise TypeError(f"not an RDF term: {term!r}")


def from_ox(term) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)  # the same literal in RDF 1.1; rdflib compares them as different
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"not an RDF term: {term!r}")


def to_ox_quads(graph: Graph, graph_name: URIRef | None = None) -> Iterator[ox.Quad]:
    """The triples of `graph` as quads in `graph_name` (or the default graph)."""
    name = ox.NamedNode(str(graph_name)) if graph_name is not None else ox.DefaultGraph()
    for s, p, o in graph:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), name)


def node(name: str) -> ox.NamedNode | ox.BlankNode:
    """A subject as the build records it (an IRI, or `_:id` for a blank node) back as a pyoxigraph term.

    >>> node("https://w3id.org/ctkg/id/product/x"), node("_:b0")
    (<NamedNode value=https://w3id.org/ctkg/id/product/x>, <BlankNode value=b0>)
    """
    return ox.BlankNode(name[2:]) if name.startswith("_:") else ox.NamedNode(name)
