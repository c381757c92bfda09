"""Incremental builds: one file changed, added or removed, the build replaces only that file's graph, and
publishes the same graph as a full build and catches the same violations (those that span files included)
as pySHACL on the whole graph. The data are the small synthetic facts files (`tests/kg/synthetic.py`)."""

import re
import shutil
import sqlite3

import pytest

from kg import listings, search_index
from kg.build import build
from kg.errors import BuildError
from kg.store import StoreLayout, read_manifest
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


def derived(store_dir) -> dict:
    """What a build derives beside its store, read back: every name of the search index, every list's items in
    order, and the manifest's counts."""
    build_dir = StoreLayout(store_dir).current_build()
    db = sqlite3.connect(build_dir / search_index.FILE)
    names = sorted(db.execute("SELECT resource, name, folded FROM names"))
    labels = sorted(db.execute("SELECT resource, label, folded FROM labels"))
    db.close()
    found = {text: search_index.search(build_dir / search_index.FILE, text, 0, 10_000)
             for text in ("synthetic", "product 0", "jurisdiction", "renamed", "al")}
    lists = {name: sorted(map(repr, listings.page(build_dir / listings.FILE, name, 0, 1_000_000)))
             for name in listings.LISTS}
    order = {name: [row[listing.key] for row in listings.page(build_dir / listings.FILE, name, 0, 1_000_000)]
             for name, listing in listings.LISTS.items()}
    manifest = read_manifest(build_dir)
    return {"names": names, "labels": labels, "found": found, "lists": lists, "order": order,
            "counts": manifest["lists"], "classes": manifest["classes"]}

# A jurisdiction in a file of its own, and an authority of it, with an application, in another: renaming the
# jurisdiction changes how the other file's authority and application are listed.
LATE_JURISDICTION = """\
source:
  id: "synthetic-late-jurisdiction"
  label: "A later article that names a jurisdiction"
jurisdictions:
  - id: "synthetic-late-jurisdiction"
    label: "{label}"
    evidence: "a jurisdiction named later"
"""
LATE_AUTHORITY = """\
source:
  id: "synthetic-late-authority"
  label: "A later article about an authority of that jurisdiction"
authorities:
  - id: "synthetic-late-authority"
    label: "Late Medicines Authority"
    jurisdiction: "synthetic-late-jurisdiction"
    evidence: "an authority named later"
applications:
  - id: "synthetic-late-authority-application"
    product: "synthetic-product-000000-1"
    regulator: "synthetic-late-authority"
    status: "approved"
    decision_date: "2026-03"
    evidence: "approved by it"
"""


@pytest.mark.parametrize("change", ["edit", "alias-elsewhere", "add-file", "remove-file", "product-label",
                                    "jurisdiction-label", "jurisdiction-named-elsewhere", "authority-label"])
def test_incremental_build_publishes_what_a_full_build_publishes(built, tmp_path, change):
    data = built.data_dir
    reference = data / "synthetic-reference.yaml"
    if change == "product-label":  # applications in other files list the product by its label
        home, product, _ = cross_file_product(data)
        set_field(home, product, "label", '"A renamed product"')
    elif change == "jurisdiction-label":  # authorities and applications list their jurisdiction's label
        set_field(reference, "synthetic-jurisdiction-0001", "label", '"Renamed Jurisdiction"')
    elif change == "jurisdiction-named-elsewhere":  # renamed in a file without its authority
        (data / "late-jurisdiction.yaml").write_text(LATE_JURISDICTION.format(label="Late Jurisdiction"))
        (data / "late-authority.yaml").write_text(LATE_AUTHORITY)
        build(built)
        (data / "late-jurisdiction.yaml").write_text(LATE_JURISDICTION.format(label="Renamed Late Jurisdiction"))
    elif change == "authority-label":
        set_field(reference, "synthetic-authority-0000", "label", '"Renamed Medicines Authority"')
    elif change == "edit":
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
    said: list[str] = []
    incremental = build(built, progress=said.append)
    assert incremental.mode == "incremental"
    assert incremental.compiled <= 1
    assert not [line for line in said if "derived anew" in line], "the previous build's files were updated"

    fresh = settings_for(data, tmp_path / "fresh")
    full = build(fresh, full=True)
    assert full.mode == "full"
    assert snapshot(built.store_dir) == snapshot(fresh.store_dir)
    assert (incremental.quads, incremental.triples) == (full.quads, full.triples)
    assert StoreLayout(built.store_dir).manifest()["triples"] == full.triples
    assert derived(built.store_dir) == derived(fresh.store_dir)


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


def test_derived_files_of_another_layout_are_written_anew(built, tmp_path):
    previous = StoreLayout(built.store_dir).current_build()
    with sqlite3.connect(previous / listings.FILE) as db:  # as an older build wrote it
        db.execute(f"PRAGMA user_version = {listings.SCHEMA - 1}")
    set_field(article(built.data_dir, 0), "synthetic-application-000000-2-0", "indication", '"a new indication"')
    said: list[str] = []
    assert build(built, progress=said.append).mode == "incremental"
    assert [line for line in said if "derived anew" in line and "StaleFile" in line]
    fresh = settings_for(built.data_dir, tmp_path / "fresh")
    build(fresh, full=True)
    assert derived(built.store_dir) == derived(fresh.store_dir)
