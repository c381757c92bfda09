"""Exports of the built graph: the dataset with its named graphs, the union as plain triples, or one
RDF/XML file for Protégé (see `kg.protege`)."""

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .formats import DATASET_FORMATS, GRAPH_FORMATS
from .oxutil import from_ox
from .protege import protege_graph, write_protege
from .store import named_quads
from .vocab import ONTOLOGY_IRI, PREFIXES

# Formats that keep the named graph of each source, then formats that hold the union as one graph.
FORMATS = sorted(DATASET_FORMATS) + sorted(GRAPH_FORMATS)


def union_triples(store: ox.Store, include_ontology: bool = True) -> list[ox.Triple]:
    """Every distinct triple of every graph, in a stable order."""
    ontology = ox.NamedNode(str(ONTOLOGY_IRI))
    seen = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in named_quads(store)
        if include_ontology or q.graph_name != ontology
    }
    return sorted(seen, key=str)


def export(store: ox.Store, fmt: str) -> bytes:
    if fmt in DATASET_FORMATS:  # the named graphs; the default graph is derived from them by the build
        return ox.serialize(named_quads(store), format=DATASET_FORMATS[fmt], prefixes=PREFIXES)
    if fmt in GRAPH_FORMATS:
        return ox.serialize(union_triples(store), format=GRAPH_FORMATS[fmt], prefixes=PREFIXES)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def protege_export(store: ox.Store) -> Graph:
    """The ontology graph and the union of every source graph, made into one Protégé-ready graph."""
    ontology_iri = ox.NamedNode(str(ONTOLOGY_IRI))
    ontology, individuals = Graph(), Graph()
    for q in named_quads(store):
        target = ontology if q.graph_name == ontology_iri else individuals
        target.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    return protege_graph(ontology, individuals)


def write_protege_file(store: ox.Store, path: Path) -> Path:
    return write_protege(protege_export(store), path)
