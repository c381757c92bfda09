"""Export: every format parses back to what the store holds; the dataset formats keep each source's graph,
the others give the union as one graph."""

import pyoxigraph as ox
import pytest

from kg.export import FORMATS, export
from kg.formats import DATASET_FORMATS

from .conftest import named_quads_of


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_formats_parse_back(store, fmt):
    data = export(store, fmt)
    formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
               "jsonld": ox.RdfFormat.JSON_LD, "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
    parsed = list(ox.parse(data, format=formats[fmt]))
    named = named_quads_of(store)
    if fmt in DATASET_FORMATS:  # every source's graph, as it is in the store
        assert set(parsed) == named
    else:  # the union as one graph
        assert {t.triple if isinstance(t, ox.Quad) else t for t in parsed} == {q.triple for q in named}
