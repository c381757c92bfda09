"""`ctkg intake --check`: a draft validated beside data/ by the shapes and the whole-graph checks, with what a
reviewer must fix; nothing is published."""

import pytest

from kg.errors import FactsError
from kg.intake.check import check_draft, review_marks
from kg.intake.draft import render
from kg.intake.extract import Extractor
from kg.intake.linking import Names
from kg.intake.reading import read_bytes

from ..conftest import ROOT, settings_for, snapshot

ARTICLE = """Health Canada approves Kymriah for a new use
Source: https://news.example.org/kymriah
Published: 1 June 2024

Health Canada has approved Kymriah for adults with relapsed follicular lymphoma.
The Sylvanian Medicines Directorate (SMD) approved Kymriah in May 2024.
"""


@pytest.fixture(scope="module")
def real_names(built, store):
    return Names.from_store(store)


def test_a_draft_linking_known_resources_conforms_and_nothing_is_published(built, real_names, tmp_path):
    x = Extractor(real_names).extract(read_bytes(ARTICLE.split("The Sylvanian")[0].encode(), "k.txt"))
    draft = tmp_path / "kymriah.yaml"
    draft.write_text(render(x, real_names), encoding="utf-8")
    before = snapshot(built.store_dir)
    report = check_draft(draft, settings_for(ROOT / "data", built.store_dir))
    assert report.conforms, report.result.text
    assert snapshot(built.store_dir) == before


def test_a_new_authority_without_jurisdiction_is_reported_with_the_draft_and_fact(built, real_names, tmp_path):
    x = Extractor(real_names).extract(read_bytes(ARTICLE.encode(), "k.txt"))
    draft = tmp_path / "kymriah.yaml"
    draft.write_text(render(x, real_names), encoding="utf-8")
    report = check_draft(draft, settings_for(ROOT / "data", built.store_dir))
    assert not report.conforms
    problems = [v for v in report.result.violations if v.file == str(draft)]
    assert any("authorities[0]" in v.fact and "jurisdiction" in v.message for v in problems), report.result.text
    assert any("new" in mark for mark in report.marks)


def test_a_draft_that_does_not_parse_is_a_facts_error(built, tmp_path):
    draft = tmp_path / "broken.yaml"
    draft.write_text("source:\n  id: Not A Slug\n", encoding="utf-8")
    with pytest.raises(FactsError):
        check_draft(draft, settings_for(ROOT / "data", built.store_dir))


def test_review_marks_lists_new_and_derived_lines():
    text = "applications:\n  - id: a\n    regulator: nmpa  # derived from the jurisdiction\ncompanies:\n" \
           "  - id: x  # new: no resource of the graph has this name\n"
    assert review_marks(text) == ["line 3: regulator: nmpa  (derived from the jurisdiction)",
                                  "line 5: - id: x  (new: no resource of the graph has this name)"]
