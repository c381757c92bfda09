"""The build: validation gates publication, and a failed build leaves the previous graph in place."""

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.errors import BuildError, FactsError
from kg.export import FORMATS, export
from kg.formats import DATASET_FORMATS
from kg.query import rows
from kg.store import StoreLayout, open_read_only
from kg.validate import validate
from kg.vocab import CTKG, ID

from .conftest import ROOT, SEED, settings_for

SEED_SOURCE = str(ID["source/pharmaceutical-technology-fucaso-hong-kong-approval"])
REGULATORS = ROOT / "data" / "reference" / "pics-applicants.yaml"  # builds beside the seed alone


def snapshot(store_dir: Path) -> set[str]:
    db, _ = open_read_only(store_dir)
    return {str(q) for q in db}


def test_every_data_file_conforms():
    settings = settings_for(ROOT / "data", ROOT / "var" / "unused")
    result = validate(settings)
    assert result.conforms, result.text + "\nRun `ctkg validate` to see the report."


def test_build_publishes_named_graph_per_source(built, store):
    graphs = {g.value for g in store.named_graphs()}
    assert SEED_SOURCE in graphs
    assert "https://w3id.org/ctkg/ontology" in graphs
    manifest = StoreLayout(built.store_dir).manifest()
    assert SEED_SOURCE in manifest["sources"]
    assert manifest["quads"] == len(store)


def test_every_fact_node_has_a_source_in_its_graph(store):
    orphans = rows(store, """
        SELECT ?node WHERE {
          GRAPH ?g { ?node a ?class . FILTER(STRSTARTS(STR(?node), "https://w3id.org/ctkg/id/")) }
          FILTER NOT EXISTS { GRAPH ?g { ?node prov:wasDerivedFrom ?source } }
          FILTER NOT EXISTS { ?node a ctkg:Source }
        }""")
    assert orphans == []


def named_quads_of(store: ox.Store) -> set[ox.Quad]:
    """Every quad of a named graph, read from the store itself."""
    return {q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}


def test_default_graph_is_the_union(store):
    default = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert default and default == {q.triple for q in named_quads_of(store)}
    regulator = ox.NamedNode(str(CTKG.regulator))
    stated = {(t.subject.value, t.object.value) for t in default if t.predicate == regulator}
    queried = {(r["a"], r["r"]) for r in rows(store, "SELECT ?a ?r WHERE { ?a ctkg:regulator ?r }")}
    assert queried == stated and stated  # a query without GRAPH reads the union


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


def test_builds_are_reproducible(tmp_path, seed_only):
    first = settings_for(seed_only, tmp_path / "a")
    second = settings_for(seed_only, tmp_path / "b")
    build(first)
    build(second)
    assert snapshot(first.store_dir) == snapshot(second.store_dir)


BREAKAGES = {
    "invalid YAML": (lambda t: t.replace("  - id: iaso-bio\n", "  - id: iaso-bio\n    label: [oops\n"),
                     FactsError, r"invalid YAML"),
    "impossible date": (lambda t: t.replace("decision_date: 2025-03", "decision_date: 2025-02-30"),
                        FactsError, r"equecabtagene-autoleucel-macao-nda.*not a real calendar date"),
    "unknown status": (lambda t: t.replace("status: under-review\n    evidence: \"with reviews ongoing in Saudi",
                                           "status: pending\n    evidence: \"with reviews ongoing in Saudi"),
                       FactsError, r"equecabtagene-autoleucel-saudi-arabia.*'pending' is not one of"),
    "missing regulator": (lambda t: t.replace("    regulator: hsa\n", ""),
                          BuildError, r"equecabtagene-autoleucel-singapore.*regulator"),
    "IRI clash": (lambda t: t.replace("  - id: equecabtagene-autoleucel-singapore",
                                      "  - id: equecabtagene-autoleucel-saudi-arabia"),
                  FactsError, r"equecabtagene-autoleucel-saudi-arabia.*IRI clash"),
    "no evidence": (lambda t: t.replace('    evidence: "clinical data from the FUMANBA-1 registrational study"\n', ""),
                    BuildError, r"studies\[0\] \(fumanba-1\).*evidence"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_bad_input_leaves_previous_graph(tmp_path, seed_only, breakage):
    settings = settings_for(seed_only, tmp_path / "store")
    build(settings)
    before = snapshot(settings.store_dir)
    current_before = StoreLayout(settings.store_dir).current_build()

    edit, error, says = BREAKAGES[breakage]
    path = seed_only / SEED.name
    text = path.read_text(encoding="utf-8")
    broken = edit(text)
    assert broken != text, "the breakage must change the file"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(error) as caught:
        build(settings)
    assert SEED.name in str(caught.value), "the error names the file"
    assert re.search(says, str(caught.value), re.S), str(caught.value)
    assert StoreLayout(settings.store_dir).current_build() == current_before
    assert snapshot(settings.store_dir) == before
    builds = list((settings.store_dir / "builds").iterdir())
    assert builds == [current_before], "a failed build leaves no partial directory behind"


def test_no_graph_yet_is_a_clear_error(tmp_path):
    from kg.errors import StoreError

    with pytest.raises(StoreError, match="ctkg build"):
        open_read_only(tmp_path / "empty")


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


def test_default_graph_is_the_union_as_a_set(store):
    """A triple stated by several sources is one triple of the default graph: counts are not inflated."""
    (row,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    (distinct,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
                              "{ GRAPH ?g { ?s ?p ?o } } }")
    assert int(row["n"]) == int(distinct["n"])
    (label,) = rows(store, "SELECT (COUNT(*) AS ?n) WHERE { id:authority\\/nmpa rdfs:label ?l }")
    assert int(label["n"]) == 1
