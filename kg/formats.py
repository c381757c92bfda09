"""The serialization formats by the names the command line and the API use, and pyoxigraph's serializer for
each: one table for `ctkg query`, `ctkg export` and the API's content negotiation (`api.formats`)."""

import pyoxigraph as ox

# SELECT rows and ASK booleans (SPARQL 1.1 Query Results formats).
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# Triples: one graph (CONSTRUCT, DESCRIBE, the union of the sources).
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
# Quads: the dataset, one named graph per source.
DATASET_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
