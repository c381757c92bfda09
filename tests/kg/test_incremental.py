"""Incremental builds: one file changed, added or removed, the build replaces only that file's graph, and
publishes the same graph as a full build and catches the same violations (those that span files included)
as pySHACL on the whole graph. The data are the small synthetic facts files (`tests/kg/synthetic.py`)."""

import re
import shutil

import pytest

from kg.build import build
from kg.errors import BuildError
from kg.store import StoreLayout
from kg.validate import validate

from .conftest import settings_for, snapshot
from .synthetic import BREAKAGES, article, cross_file_product, remove_fact, set_field


@pytest.fixture
def built(synthetic_data, tmp_path):
    """The synthetic data built once, so that the next build is incremental."""
    settings = settings_for(synthetic_data, tmp_path / "store")
    report = build(settings)
    assert report.mode == "full"
    return settings


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
    assert snapshot(built.store_dir) == snapshot(fresh.store_dir)
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
    before = snapshot(built.store_dir)
    report = build(built)
    assert (report.mode, report.compiled, report.changed) == ("incremental", 0, 0)
    assert snapshot(built.store_dir) == before
