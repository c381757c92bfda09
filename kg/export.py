"""Exports of the built graph: the dataset with its named graphs, or the union as plain triples."""

import pyoxigraph as ox

from .vocab import ONTOLOGY_IRI, PREFIXES

# Formats that keep the named graph of each source, and formats that hold the union as one graph.
DATASET_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
FORMATS = sorted(DATASET_FORMATS) + sorted(GRAPH_FORMATS)


def union_triples(store: ox.Store, include_ontology: bool = True) -> list[ox.Triple]:
    """Every distinct triple of every graph, in a stable order."""
    ontology = ox.NamedNode(str(ONTOLOGY_IRI))
    seen = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, None)
        if include_ontology or q.graph_name != ontology
    }
    return sorted(seen, key=str)


def export(store: ox.Store, fmt: str) -> bytes:
    if fmt in DATASET_FORMATS:
        return store.dump(format=DATASET_FORMATS[fmt], prefixes=PREFIXES)
    if fmt in GRAPH_FORMATS:
        return ox.serialize(union_triples(store), format=GRAPH_FORMATS[fmt], prefixes=PREFIXES)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
