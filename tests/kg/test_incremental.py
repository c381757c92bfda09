"""Builds in parts: the split validation reports what pySHACL on the whole graph reports, and an incremental
build (one file changed, added or removed) publishes the same graph as a full build and catches the same
violations, including those that span files. The data are small synthetic facts files in data/synthetic
(three articles and the reference list, written by bench/generate.py; tests/bench/test_generate.py keeps them
in step with it)."""

import re
import shutil
from pathlib import Path

import pytest
from rdflib.namespace import SH

from kg.build import build
from kg.errors import BuildError
from kg.shacl import load_shapes
from kg.shape_plan import plan_shapes
from kg.store import StoreLayout, open_read_only
from kg.validate import validate

from .conftest import ROOT, settings_for

SYNTHETIC = Path(__file__).parent / "data" / "synthetic"


@pytest.fixture
def data(tmp_path) -> Path:
    """A fresh copy of the synthetic facts, to edit."""
    return Path(shutil.copytree(SYNTHETIC, tmp_path / "data"))


@pytest.fixture
def built(data, tmp_path):
    """The synthetic data built once, so that the next build is incremental."""
    settings = settings_for(data, tmp_path / "store")
    report = build(settings)
    assert report.mode == "full"
    return settings


def quads(store_dir: Path) -> set[str]:
    db, _ = open_read_only(store_dir)
    return {str(q) for q in db}


def article(data: Path, n: int) -> Path:
    return data / "articles" / f"synthetic-article-{n:06d}.yaml"


# --- editing generated facts files (one fact per "  - id:" block) ---


def blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, id) of every fact block in a generated file."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'^  - id: "([^"]+)"\n', text, re.M)]
    out = []
    for i, (start, fact_id) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        section_end = re.search(r"^\S", text[start:end], re.M)  # a new section ends the block too
        out.append((start, start + section_end.start() if section_end else end, fact_id))
    return out


def remove_fact(path: Path, fact_id: str) -> None:
    text = path.read_text(encoding="utf-8")
    ((start, end, _),) = [b for b in blocks(text) if b[2] == fact_id]
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def set_field(path: Path, fact_id: str, field: str, value: str | None) -> None:
    """Set (or with None remove) one field of one fact."""
    text = path.read_text(encoding="utf-8")
    ((start, end, _),) = [b for b in blocks(text) if b[2] == fact_id]
    block = re.sub(rf"^    {field}: .*\n", "", text[start:end], flags=re.M)
    if value is not None:
        block = block.rstrip("\n") + f"\n    {field}: {value}\n"
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def cross_file_product(data: Path) -> tuple[Path, str, Path]:
    """A product declared in one article and applied for in another: (its file, its id, the other file)."""
    for path in sorted((data / "articles").glob("*.yaml")):
        for match in re.finditer(r'^    product: "(synthetic-product-(\d+)-4)"', path.read_text(), re.M):
            home = article(data, int(match.group(2)))
            if home != path:
                return home, match.group(1), path
    raise AssertionError("the generator always makes cross-file applications")


# --- the split validation is the reference validation ---


def test_project_shapes_split_into_local_and_class_checks():
    plan = plan_shapes(load_shapes(ROOT / "shapes"))
    assert plan.local, plan.reason
    assert plan.class_checks, "the sh:class constraints are checked on the store"
    assert (None, SH["class"], None) in plan.shapes
    assert (None, SH["class"], None) not in plan.local_shapes


def test_shapes_beyond_the_focus_node_fall_back_to_whole_graph():
    shapes = load_shapes(ROOT / "shapes")
    shapes.update("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX ctkg: <https://w3id.org/ctkg/ontology#>
        INSERT DATA { <urn:x:s> sh:targetClass ctkg:RegulatoryApplication ;
                          sh:property [ sh:path ctkg:product ; sh:node <urn:x:t> ] . }""")
    plan = plan_shapes(shapes)
    assert not plan.local and "sh:node" in plan.reason


def break_label(data):
    set_field(article(data, 0), "synthetic-product-000000-1", "label", None)


def break_cross_file_link(data):
    home, product, _ = cross_file_product(data)
    remove_fact(home, product)


def break_shared_label(data):
    # A second label for a product declared in article 1, given by article 2: a node of two files.
    text = article(data, 2).read_text()
    article(data, 2).write_text(text.replace("products:\n", 'products:\n  - id: "synthetic-product-000001-2"\n'
                                             '    label: "another name"\n    evidence: "named again"\n', 1))


def break_open_decision(data):
    set_field(article(data, 1), "synthetic-application-000001-2-3", "decision_date", '"2020-01-02"')


def break_scheme(data):
    set_field(data / "synthetic-reference.yaml", "synthetic-authority-0000-pics", "scheme", '"no-such-scheme"')


def break_evidence_and_status(data):
    set_field(article(data, 2), "synthetic-inspection-000002-3", "evidence", None)
    set_field(article(data, 2), "synthetic-application-000002-0-0", "regulator", None)


BREAKAGES = {f.__name__.removeprefix("break_"): f for f in (
    break_label, break_cross_file_link, break_shared_label, break_open_decision, break_scheme,
    break_evidence_and_status)}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_split_validation_reports_what_whole_graph_validation_reports(data, tmp_path, name):
    BREAKAGES[name](data)
    settings = settings_for(data, tmp_path / "store")
    reference = validate(settings)
    assert not reference.conforms
    with pytest.raises(BuildError) as caught:
        build(settings)
    assert str(caught.value) == reference.text


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_incremental_build_reports_what_whole_graph_validation_reports(built, name):
    current = StoreLayout(built.store_dir).current_build()
    BREAKAGES[name](built.data_dir)
    reference = validate(built)
    with pytest.raises(BuildError) as caught:
        build(built)
    assert str(caught.value) == reference.text
    assert StoreLayout(built.store_dir).current_build() == current, "the previous graph stays published"
    assert list((built.store_dir / "builds").iterdir()) == [current], "no partial build is left behind"


# --- incremental builds ---


def test_violation_in_the_changed_file_is_caught(built):
    path = article(built.data_dir, 1)
    set_field(path, "synthetic-application-000001-3-2", "status", None)
    with pytest.raises(BuildError) as caught:
        build(built)
    message = str(caught.value)
    assert f"{path}, applications[" in message and "synthetic-application-000001-3-2" in message
    assert "exactly one status" in message


def test_violation_spanning_files_is_caught(built):
    home, product, referrer = cross_file_product(built.data_dir)
    remove_fact(home, product)
    with pytest.raises(BuildError) as caught:
        build(built)
    message = str(caught.value)
    # The application lives in a file that did not change; its product was removed from another file.
    assert re.search(rf"{re.escape(str(referrer))}, applications\[\d+\] \(synthetic-application-[\d-]+\): "
                     rf"\S+ \[ctkg:product\]: An application is for exactly one product", message), message


def test_removing_a_file_others_rely_on_is_caught(built):
    home, _, referrer = cross_file_product(built.data_dir)
    home.unlink()
    with pytest.raises(BuildError, match=re.escape(str(referrer))):
        build(built)


NEW_SOURCE = """\
source:
  id: "synthetic-late-article"
  label: "A later synthetic article"
companies:
  - id: "synthetic-late-company"
    label: "Late Cell Therapeutics"
    evidence: "a company named later"
applications:
  - id: "synthetic-late-application"
    product: "synthetic-product-000000-1"
    regulator: "synthetic-authority-0003"
    applicant: "company/synthetic-late-company"
    status: "approved"
    decision_date: "2026-02"
    evidence: "approved later"
"""


@pytest.mark.parametrize("change", ["edit", "alias-elsewhere", "add-file", "remove-file"])
def test_incremental_build_publishes_what_a_full_build_publishes(built, tmp_path, change):
    data = built.data_dir
    if change == "edit":
        set_field(article(data, 0), "synthetic-application-000000-2-0", "indication", '"a new indication"')
        remove_fact(article(data, 0), "synthetic-claim-000000-1")
    elif change == "alias-elsewhere":  # a node of article 0 becomes a node of two files
        text = article(data, 1).read_text()
        article(data, 1).write_text(text.replace("products:\n", 'products:\n  - id: "synthetic-product-000000-3"\n'
                                                 '    aliases: ["a later alias"]\n    evidence: "also called"\n', 1))
    elif change == "add-file":
        (data / "late.yaml").write_text(NEW_SOURCE)
    else:
        (data / "late.yaml").write_text(NEW_SOURCE)
        build(built)
        (data / "late.yaml").unlink()
    incremental = build(built)
    assert incremental.mode == "incremental"
    assert incremental.compiled <= 1

    fresh = settings_for(data, tmp_path / "fresh")
    full = build(fresh, full=True)
    assert full.mode == "full"
    assert quads(built.store_dir) == quads(fresh.store_dir)
    assert (incremental.quads, incremental.triples) == (full.quads, full.triples)
    assert StoreLayout(built.store_dir).manifest()["triples"] == full.triples


def test_full_flag_and_changed_shapes_force_a_full_build(built, tmp_path):
    assert build(built, full=True).mode == "full"
    shapes = tmp_path / "shapes"
    shutil.copytree(built.shapes_dir, shapes)
    with (shapes / "ctkg-shapes.ttl").open("a") as f:
        f.write("\n# a comment changes the fingerprint\n")
    assert build(built.model_copy(update={"shapes_dir": shapes})).mode == "full"


def test_unchanged_rebuild_reads_no_file(built):
    before = quads(built.store_dir)
    report = build(built)
    assert (report.mode, report.compiled, report.changed) == ("incremental", 0, 0)
    assert quads(built.store_dir) == before
