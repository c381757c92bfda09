"""The canonical form of facts files (`kg.canonical`) and `ctkg fmt`: formatting never changes a file's facts,
is idempotent, keeps comments, and gives every curated file back from a scrambled copy of it."""

import io
from pathlib import Path

import pytest
from rdflib.compare import isomorphic
from ruamel.yaml import YAML
from typer.testing import CliRunner

from kg.canonical import FIELD_ORDER, SECTION_ORDER, canonical_text, format_file, is_canonical
from kg.cli import app
from kg.errors import FactsError
from kg.facts import COMMON, KINDS, SOURCE_FIELDS, facts_files, read_facts

from .conftest import ROOT

FILES = facts_files(ROOT / "data")
FILE_IDS = [str(p.relative_to(ROOT / "data")) for p in FILES]


def facts_of(tmp_path: Path, text: str, name: str = "facts.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_facts(path).graph


def scrambled(text: str) -> str:
    """The same document with every key order reversed, indented by four and with flow-style facts: what a
    careless edit could leave behind."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16
    yaml.indent(mapping=4, sequence=6, offset=4)
    doc = yaml.load(text)
    for mapping in [doc, *(v for v in doc.values() if hasattr(v, "keys")),
                    *(f for v in doc.values() if isinstance(v, list) for f in v)]:
        for key in reversed(list(mapping)):
            mapping.move_to_end(key)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_fmt_gives_each_curated_file_back_from_a_scrambled_copy(tmp_path, path):
    original = path.read_text(encoding="utf-8")
    messy = scrambled(original)
    assert messy != original and not is_canonical(messy)
    fixed = canonical_text(messy)
    assert fixed == original
    assert isomorphic(facts_of(tmp_path, messy, "messy.yaml"), facts_of(tmp_path, fixed))


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_fmt_is_idempotent_and_keeps_the_facts(tmp_path, path):
    text = path.read_text(encoding="utf-8")
    once = canonical_text(text)
    assert canonical_text(once) == once
    assert isomorphic(facts_of(tmp_path, text, "before.yaml"), facts_of(tmp_path, once, "after.yaml"))


def test_field_order_names_every_field_the_format_has():
    assert SECTION_ORDER == ("source", *(kind.section for kind in KINDS))
    assert set(FIELD_ORDER["source"]) == {"id", *SOURCE_FIELDS}
    for kind in KINDS:
        fields = {"id", "source_url", *COMMON, *kind.fields, *([kind.class_field[0]] if kind.class_field else [])}
        order = FIELD_ORDER[kind.section]
        assert order[0] == "id" and len(order) == len(set(order)) and set(order) == fields, kind.section


MESSY = """\
# The header stays first.
products:
- evidence: "Fucaso"   # a quoted quote stays quoted
  # this comment is about the label below it
  label: Test product
  id: test-product
  type: car-t
  brand_names: [Fucaso, 'Other']
source:
    label: A test source
    id: test-source
    note: >-
      Folded text keeps
      its line breaks.
jurisdictions:


  - {id: testland, label: Testland, evidence: in Testland, note: "2023-06 stays text"}
"""

CANONICAL = """\
# The header stays first.
source:
  id: test-source
  label: A test source
  note: >-
    Folded text keeps
    its line breaks.

jurisdictions:
  - id: testland
    label: Testland
    evidence: in Testland
    note: "2023-06 stays text"

products:
  - id: test-product
    type: car-t
    # this comment is about the label below it
    label: Test product
    brand_names: [Fucaso, 'Other']
    evidence: "Fucaso"  # a quoted quote stays quoted
"""


def test_the_canonical_form_of_a_messy_file(tmp_path):
    assert canonical_text(MESSY) == CANONICAL
    assert is_canonical(CANONICAL)
    assert isomorphic(facts_of(tmp_path, MESSY, "messy.yaml"), facts_of(tmp_path, CANONICAL))


@pytest.mark.parametrize(("text", "message"), [
    ("source: [\n", "invalid YAML at line 2"),
    ("- just a list\n", "expected a mapping"),
    ("source: text\n", "'source' must be a mapping"),
    ("source:\n  id: s\nclaims: text\n", "'claims' must be a list of facts"),
    ("source:\n  id: s\nclaims:\n  - text\n", "each fact is a mapping"),
    ("source:\n  id: s\n  note: |+\n    kept\n\n\nclaims: []\n", "without changing its content"),
])
def test_what_fmt_cannot_lay_out_it_refuses(text, message):
    with pytest.raises(FactsError, match=message):
        canonical_text(text, "bad.yaml")


def test_format_file_writes_only_when_asked(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text(MESSY, encoding="utf-8")
    assert format_file(path, write=False) is True and path.read_text(encoding="utf-8") == MESSY
    assert format_file(path) is True and path.read_text(encoding="utf-8") == CANONICAL
    assert format_file(path) is False


def test_ctkg_fmt(tmp_path):
    messy, tidy, broken = tmp_path / "messy.yaml", tmp_path / "tidy.yaml", tmp_path / "broken.yaml"
    messy.write_text(MESSY, encoding="utf-8")
    tidy.write_text(CANONICAL, encoding="utf-8")
    runner = CliRunner()

    checked = runner.invoke(app, ["fmt", "--check", str(tmp_path)])
    assert checked.exit_code == 1 and checked.stdout.split() == [str(messy)]
    assert f"ctkg fmt {messy}" in checked.stderr and messy.read_text(encoding="utf-8") == MESSY

    done = runner.invoke(app, ["fmt", str(messy), str(tidy)])
    assert done.exit_code == 0 and messy.read_text(encoding="utf-8") == CANONICAL
    assert runner.invoke(app, ["fmt", "--check", str(tmp_path)]).exit_code == 0

    broken.write_text("source: [\n", encoding="utf-8")
    failed = runner.invoke(app, ["fmt", "--check", str(tmp_path)])
    assert failed.exit_code == 2 and "broken.yaml" in failed.stderr
