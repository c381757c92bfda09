"""The build: it publishes one named graph per source, reproducibly; validation gates publication, and a
failed build leaves the previous graph in place; it reads only the facts files and the Turtle of ontology/
and shapes/, and fetches nothing those name."""

import re
import shutil
import subprocess
import sys

import pytest

from kg.build import build
from kg.errors import BuildError, FactsError
from kg.query import rows
from kg.settings import Settings
from kg.store import StoreLayout
from kg.vocab import ID
from tests.support.hostile import billion_laughs, outside_files

from .conftest import ROOT, SEED, settings_for, snapshot

SEED_SOURCE = str(ID["source/pharmaceutical-technology-fucaso-hong-kong-approval"])


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


# --- what the build reads: facts files that expand, files that name outside hosts ---


def test_the_build_refuses_a_bomb_and_keeps_the_graph(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    (data / "laughs.yaml").write_text(billion_laughs(), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--data", str(data), "--store",
                           str(tmp_path / "store")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "aliases" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "store" / "current").exists()


def test_building_fetches_nothing_and_reads_only_turtle_and_yaml(tmp_path, listener):
    ontology, shapes, data = tmp_path / "ontology", tmp_path / "shapes", tmp_path / "data"
    shutil.copytree(ROOT / "ontology", ontology)
    shutil.copytree(ROOT / "shapes", shapes)
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    for folder in (ontology, shapes, data):
        for name, text in outside_files(listener.port).items():
            (folder / name).write_text(text, encoding="utf-8")
    (data / "facts-with-urls.yaml").write_text(
        f"source:\n  id: outside-urls\n  label: A source whose address is a listener\n"
        f"  url: http://127.0.0.1:{listener.port}/article\n", encoding="utf-8")
    settings = Settings(ontology_dir=ontology, shapes_dir=shapes, data_dir=data, store_dir=tmp_path / "store")
    report = build(settings)
    assert report.sources == 2  # the two facts files; nothing else in data/ was read
    assert listener.received() == 0
