"""The draft is a facts file in canonical form: it parses, links known resources by id, proposes new ones marked
new, marks derived values, and carries each evidence snippet's offsets in the article."""

import re

import pytest

from kg.canonical import is_canonical
from kg.facts import read_facts
from kg.intake.draft import render
from kg.intake.extract import Extractor
from kg.intake.linking import Names
from kg.intake.reading import read_article, read_bytes

from .conftest import ARTICLES

ARTICLE = """Agency approves Zorvex in Sylvania
Source: https://news.example.org/zorvex
Published: 13 March 2024

Zorvex was approved in Sylvania in March 2024 for adults with relapsed lymphoma.
Orion Cell Therapies (OCTL) has been granted a GMP manufacturing licence by the NRA for T-cell products.
“We are proud,” said Jane Doe, chief medical officer of Acme Bio.
Zorvex is the first CAR-T therapy to reach patients in Sylvania.
"""


def draft_of(extractor, names, tmp_path, text=ARTICLE):
    x = extractor.extract(read_bytes(text.encode(), "zorvex.txt"))
    path = tmp_path / "zorvex.yaml"
    path.write_text(render(x, names), encoding="utf-8")
    return x, path


def test_the_draft_is_a_canonical_facts_file(extractor, names, tmp_path):
    _, path = draft_of(extractor, names, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert is_canonical(text, path)
    facts = read_facts(path)
    assert str(facts.source).endswith("/source/zorvex")
    assert "url: https://news.example.org/zorvex" in text and "published: 2024-03-13" in text.replace("'", "")


def test_known_resources_are_linked_and_new_ones_marked(extractor, names, tmp_path):
    _, path = draft_of(extractor, names, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "product: zorvatabtagene-autoleucel" in text
    assert "inspecting_authority: nra" in text
    assert re.search(r"- id: orion-cell-therapies  # new", text)
    assert "aliases: [OCTL]" in text
    assert "affiliation: company/acme-bio" in text
    assert "- id: acme-bio  # new" not in text


def test_an_authority_derived_from_a_country_is_marked_derived(extractor, names, tmp_path):
    _, path = draft_of(extractor, names, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert re.search(r"regulator: smb  # derived", text)
    assert "decision_date: 2024-03" in text.replace("'", "")


def test_evidence_offsets_point_at_the_snippet(extractor, names, tmp_path):
    x, path = draft_of(extractor, names, tmp_path)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "evidence:" in line]
    assert lines
    for line in lines:
        m = re.match(r"\s*evidence: (.*)  # chars (\d+)-(\d+)$", line)
        assert m, line
        snippet = m.group(1).strip("'\"").replace("''", "'")
        assert x.article.text[int(m.group(2)):int(m.group(3))] == snippet


def test_a_relative_date_given_a_publication_date_is_derived_in_the_draft(extractor, names, tmp_path):
    text = "Zorvex news\nSource: https://news.example.org/z2\nPublished: 13 March 2024\n\n" \
           "Yesterday the NRA approved Zorvex for adults with relapsed lymphoma.\n"
    _, path = draft_of(extractor, names, tmp_path, text)
    draft = path.read_text(encoding="utf-8").replace("'", "")
    assert re.search(r"decision_date: 2024-03-12  # derived", draft)
    assert "date_basis: derived" in draft


def test_every_development_articles_draft_is_canonical_and_parses(built, store, tmp_path):
    if not ARTICLES.is_dir():
        pytest.skip(f"{ARTICLES} is absent: the development articles are not on this machine")
    graph = Names.from_store(store)
    extractor = Extractor(graph)
    for article in sorted(ARTICLES.glob("*.txt")):
        text = render(extractor.extract(read_article(article)), graph)
        path = tmp_path / (article.stem + ".yaml")
        path.write_text(text, encoding="utf-8")
        assert is_canonical(text, path), article.name
        read_facts(path)
