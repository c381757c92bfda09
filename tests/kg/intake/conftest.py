"""Fixtures for article intake: a small graph of made-up names (so that each rule is tested on sentences
written for the test), the extractor over it, and a helper that reads a text as an article."""

from pathlib import Path

import pytest

from kg.intake.extract import Extraction, Extractor
from kg.intake.linking import Names
from kg.intake.reading import read_bytes

ID = "https://w3id.org/ctkg/id/"
ARTICLES = Path(__file__).resolve().parents[3].parent / "shared" / "articles"

# (resource, kind, name, jurisdiction) as kg/intake/names.rq returns them.
NAME_ROWS = [
    (ID + "product/zorvatabtagene-autoleucel", "product", "zorvatabtagene autoleucel", None),
    (ID + "product/zorvatabtagene-autoleucel", "product", "Zorvex", None),
    (ID + "product/quendacel", "product", "Quendacel", None),  # a brand that ends in "cel", not an INN
    (ID + "authority/nra", "authority", "National Regulatory Agency", ID + "jurisdiction/freedonia"),
    (ID + "authority/nra", "authority", "NRA", ID + "jurisdiction/freedonia"),
    (ID + "authority/nra", "organization", "NRA", None),
    (ID + "authority/smb", "authority", "Sylvania Medicines Board", ID + "jurisdiction/sylvania"),
    (ID + "authority/smb", "authority", "SMB", ID + "jurisdiction/sylvania"),
    (ID + "jurisdiction/freedonia", "jurisdiction", "Freedonia", None),
    (ID + "jurisdiction/sylvania", "jurisdiction", "Sylvania", None),
    (ID + "company/acme-bio", "company", "Acme Biotherapeutics", None),
    (ID + "company/acme-bio", "company", "Acme Bio", None),
    (ID + "company/acme-bio", "organization", "Acme Bio", None),
    (ID + "organization/pics", "organization", "Pharmaceutical Inspection Co-operation Scheme", None),
    (ID + "organization/pics", "organization", "PIC/S", None),
]
REGULATOR_ROWS = [(ID + "authority/nra", ID + "jurisdiction/freedonia"),
                  (ID + "authority/smb", ID + "jurisdiction/sylvania")]


def small_names() -> Names:
    return Names.from_rows([dict(zip(("resource", "kind", "name", "jurisdiction"), r, strict=True)) for r in NAME_ROWS],
                           [{"authority": a, "jurisdiction": j} for a, j in REGULATOR_ROWS])


@pytest.fixture(scope="session")
def names() -> Names:
    return small_names()


@pytest.fixture(scope="session")
def extractor(names) -> Extractor:
    return Extractor(names)


@pytest.fixture
def read(extractor):
    """read(text, published=None) -> the extraction of `text` as an article."""
    def run(text: str, published: str | None = None) -> Extraction:
        return extractor.extract(read_bytes(text.encode("utf-8"), "test-article.txt"), published)
    return run


def of_kind(x: Extraction, kind: str) -> list:
    return [f for f in x.facts if f.kind == kind]
