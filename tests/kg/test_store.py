"""The store: no graph yet is a clear error; the default graph is the union of the sources' graphs, as a
set; a rebuild replaces the published graph in one step, and a reader of the old build keeps all of it."""

import shutil

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.errors import StoreError
from kg.query import rows
from kg.store import StoreLayout, open_read_only
from kg.vocab import CTKG

from .conftest import REGULATORS, named_quads_of, settings_for, snapshot


def test_no_graph_yet_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="ctkg build"):
        open_read_only(tmp_path / "empty")


def test_default_graph_is_the_union(store):
    default = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert default and default == {q.triple for q in named_quads_of(store)}
    regulator = ox.NamedNode(str(CTKG.regulator))
    stated = {(t.subject.value, t.object.value) for t in default if t.predicate == regulator}
    queried = {(r["a"], r["r"]) for r in rows(store, "SELECT ?a ?r WHERE { ?a ctkg:regulator ?r }")}
    assert queried == stated and stated  # a query without GRAPH reads the union


def test_default_graph_is_the_union_as_a_set(store):
    """A triple stated by several sources is one triple of the default graph: counts are not inflated."""
    (row,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    (distinct,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
                              "{ GRAPH ?g { ?s ?p ?o } } }")
    assert int(row["n"]) == int(distinct["n"])
    (label,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { id:authority\\/nmpa rdfs:label ?l }")
    assert int(label["n"]) == 1


def test_rebuild_replaces_graph_atomically(tmp_path, seed_only):
    settings = settings_for(seed_only, tmp_path / "store")
    build(settings)
    layout = StoreLayout(settings.store_dir)
    first, before = layout.current_build(), snapshot(settings.store_dir)
    shutil.copy(REGULATORS, seed_only / REGULATORS.name)
    build(settings)
    second = layout.current_build()
    assert first != second
    reference = settings_for(seed_only, tmp_path / "reference")
    build(reference)
    assert snapshot(settings.store_dir) == snapshot(reference.store_dir) != before  # the new graph, whole
    first_graph = ox.Store.read_only(str(first / "oxigraph"))
    assert {str(q) for q in first_graph} == before  # a reader of the first build still has all of it
