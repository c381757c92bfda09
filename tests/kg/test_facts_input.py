"""Facts input that the exports could not carry, or that YAML would read wrongly, is refused at build.

Refused, naming the file, the fact and the field: characters XML cannot carry (or that change on the way
through RDF/XML), a key given twice, a text or a file over the stated limits, and a value YAML would
turn into something other than text (`!!int`, ...). A refused build leaves the published graph in place.
Legal but awkward text (quotes, `<`, `&`, `]]>`, characters outside the BMP, newlines, tabs) comes back
unchanged from every export, which rdflib re-parses, and the Protégé file passes the OWL API check.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from kg.errors import FactsError
from kg.facts import MAX_FILE_BYTES, MAX_TEXT_CHARS, read_facts
from kg.store import StoreLayout, open_read_only
from kg.vocab import ID

from .conftest import ROOT

SOURCE = "source:\n  id: test-source\n  label: A test source\n"
COMPANY = "companies:\n  - id: acme\n    label: {label}\n    evidence: Acme said so\n"

# (the facts file, the fact named, what the message says: the field first, then the problem)
REFUSED = {
    "escaped control character": (SOURCE + COMPANY.format(label='"Acme\\x01"'),
                                  "companies[0] (acme)", ["label:", "U+0001"]),
    "escaped NUL": (SOURCE + "companies:\n  - id: acme\n    label: Acme\n    evidence: [ok, \"nul\\0\"]\n",
                    "companies[0] (acme)", ["evidence[1]:", "U+0000"]),
    "escaped non-character": (SOURCE.replace("A test source", '"A test\\uFFFE source"'),
                              "source", ["label:", "U+FFFE"]),
    "escaped carriage return": (SOURCE + COMPANY.format(label='"Acme\\rInc"'),
                                "companies[0] (acme)", ["label:", "U+000D"]),
    "escaped C1 control (mis-decoded quote)": (SOURCE + COMPANY.format(label='"Acme\\x92s"'),
                                               "companies[0] (acme)", ["label:", "U+0092"]),
    "raw control character": (SOURCE + COMPANY.format(label="Acme\x01 Inc"),
                              "companies[0] (acme)", ["label:", "U+0001", "line 6"]),
    "raw non-character": (SOURCE + COMPANY.format(label="Acme") + "    note: odd \ufffe here\n",
                          "companies[0] (acme)", ["note:", "U+FFFE", "line 8"]),
    "raw control character in a comment": (SOURCE + "# a comment \x07\n", "", ["U+0007", "line 4"]),
    "section given twice": (SOURCE + COMPANY.format(label="Acme") + COMPANY.format(label="Acme").replace("acme", "b"),
                            "companies", ["'companies'", "twice", "lines 4 and 8"]),
    "field given twice in a fact": (SOURCE + COMPANY.format(label="Acme") + "    label: Other\n",
                                    "companies[0] (acme)", ["label:", "twice", "lines 6 and 8"]),
    "field given twice in the source": (SOURCE + "  label: Again\n", "source", ["label:", "twice"]),
    "text over the limit": (SOURCE + COMPANY.format(label="Acme") + f"    note: {'n' * (MAX_TEXT_CHARS + 1)}\n",
                            "companies[0] (acme)", ["note:", f"{MAX_TEXT_CHARS + 1:,} characters",
                                                    f"{MAX_TEXT_CHARS:,}"]),
    "long number (plain)": (SOURCE + COMPANY.format(label="9" * (MAX_TEXT_CHARS + 1)),
                            "companies[0] (acme)", ["label:", "characters"]),
    "5,000-digit !!int": (SOURCE + COMPANY.format(label="!!int " + "9" * 5000),
                          "companies[0] (acme)", ["label:", "!!int", "text"]),
    "small !!int": (SOURCE + COMPANY.format(label="!!int 5"), "companies[0] (acme)", ["label:", "!!int"]),
    "!!binary": (SOURCE + COMPANY.format(label="!!binary aGVsbG8="), "companies[0] (acme)", ["label:", "!!binary"]),
    "!!set": (SOURCE + COMPANY.format(label="!!set {a, b}"), "companies[0] (acme)", ["label:", "!!set"]),
    "a list as a key": (SOURCE + "companies:\n  - id: acme\n    ? [a, b]\n    : x\n",
                        "companies[0] (acme)", ["key"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_input_names_file_fact_and_field(tmp_path, case):
    text, fact, says = REFUSED[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FactsError) as caught:
        read_facts(path)
    assert (caught.value.file, caught.value.fact) == (path, fact), str(caught.value)
    for words in says:
        assert words in caught.value.message, str(caught.value)


def test_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(SOURCE + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(FactsError) as caught:
        read_facts(path)
    assert caught.value.file == path and "MiB" in caught.value.message and "MAX_FILE_BYTES" in caught.value.message


@pytest.mark.parametrize("text", [
    SOURCE + COMPANY.format(label="!!str 1234"),
    SOURCE + COMPANY.format(label='"tab\\there and a line\\nbreak"'),
    SOURCE + COMPANY.format(label="Acme") + f"    note: {'n' * MAX_TEXT_CHARS}\n",
    SOURCE.replace("A test source", "'A \U0001F600 source'") + COMPANY.format(label="Acme"),
])
def test_legal_text_at_the_limits_is_read(tmp_path, text):
    path = tmp_path / "ok.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(read_facts(path).graph) > 0


# --- through `ctkg build`: the refusal is a message, and the previous graph stays ------------------------------

AWKWARD = ROOT / "tests" / "kg" / "data" / "awkward-text.yaml"
AWKWARD_COMPANY = ID["company/awkward-company"]
AWKWARD_SOURCE = ID["source/awkward-text"]


def ctkg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)


def quads_of(store_dir: Path) -> set[str]:
    db, _ = open_read_only(store_dir)
    return {str(q) for q in db}


def built_from_awkward_text(tmp_path_factory) -> Path:
    """A store built by `ctkg build` from the awkward-text facts file alone."""
    data = tmp_path_factory.mktemp("awkward-data")
    (data / AWKWARD.name).write_bytes(AWKWARD.read_bytes())
    store = tmp_path_factory.mktemp("awkward-store")
    done = ctkg("build", "--data", str(data), "--store", str(store))
    assert done.returncode == 0, done.stdout + done.stderr
    return store


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A store with a published build, for builds that must be refused."""
    return built_from_awkward_text(tmp_path_factory)


@pytest.fixture(scope="module")
def awkward_store(tmp_path_factory) -> Path:
    """A store for the exports (apart from `published`, so that a wrongly accepted build cannot change it)."""
    return built_from_awkward_text(tmp_path_factory)


BUILD_REFUSED = {
    "escaped control character": ("label", '"Awkward\\x01"', ["label:", "U+0001"]),
    "raw non-character": ("label", "Awkward \ufffe", ["label:", "U+FFFE"]),
    "text of 17 MiB": ("label", "x" * (17 << 20), ["MiB", "MAX_FILE_BYTES"]),
    "text over the field limit": ("label", "x" * (MAX_TEXT_CHARS + 1), ["label:", "characters"]),
    "5,000-digit !!int": ("label", "!!int " + "9" * 5000, ["label:", "!!int"]),
    "section given twice": ("section", "", ["'companies'", "twice"]),
}


@pytest.mark.parametrize("case", sorted(BUILD_REFUSED))
def test_refused_build_says_where_and_keeps_the_previous_graph(tmp_path, published, case):
    field, value, says = BUILD_REFUSED[case]
    layout = StoreLayout(published)
    current, before = layout.current_build(), quads_of(published)
    data = tmp_path / "data"
    data.mkdir()
    extra = (SOURCE + "companies:\n  - id: second-company\n    label: Second Company\n"
             "    evidence: Second Company said so\n")
    if field == "section":
        extra += "companies:\n  - id: third-company\n    label: Third Company\n    evidence: Third said so\n"
    else:
        extra = extra.replace("label: Second Company", f"{field}: {value}")
    (data / AWKWARD.name).write_bytes(AWKWARD.read_bytes())
    (data / "second.yaml").write_text(extra, encoding="utf-8")

    done = ctkg("build", "--data", str(data), "--store", str(published))
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "previous graph is unchanged" in done.stderr
    message = " ".join(done.stderr.split())
    assert "second.yaml" in message
    if field == "label" and "MiB" not in says:
        assert "companies[0] (second-company)" in message, message
    for words in says:
        assert words in message, message
    assert layout.current_build() == current
    assert quads_of(published) == before


# --- every export of awkward but legal text re-parses, with the text unchanged ------------------------------

RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld",
                  "nquads": "nquads", "trig": "trig"}


def awkward_literals(graph: Graph) -> set[tuple[URIRef, Literal]]:
    return {(p, o) for p, o in graph.predicate_objects(AWKWARD_COMPANY) if isinstance(o, Literal)}


def test_awkward_file_is_awkward():
    text = AWKWARD.read_text(encoding="utf-8")
    for awkward in ('"', "'", "<", ">", "&", "]]>", "\\t", "\\n", "|-", "\U0001F600", "\U0001D518", "\\u2028"):
        assert awkward in text, awkward


@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMATS))
def test_every_export_reparses_with_the_text_unchanged(awkward_store, tmp_path, fmt):
    expected = awkward_literals(read_facts(AWKWARD).graph)
    assert len(expected) >= 6
    out = tmp_path / f"export.{fmt}"
    done = ctkg("export", "--format", fmt, "--output", str(out), "--store", str(awkward_store))
    assert done.returncode == 0, done.stderr
    graph = Dataset() if fmt in ("nquads", "trig") else Graph()
    graph.parse(out, format=RDFLIB_FORMATS[fmt])
    if isinstance(graph, Dataset):
        graph = graph.graph(AWKWARD_SOURCE)
    assert awkward_literals(graph) == expected


def test_sparql_xml_results_are_well_formed(awkward_store):
    query = f"SELECT ?text WHERE {{ <{AWKWARD_COMPANY}> ?p ?text FILTER(isLiteral(?text)) }}"
    done = subprocess.run([sys.executable, "-m", "kg.cli", "query", query, "--format", "xml",
                           "--store", str(awkward_store)], capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    results = ET.fromstring(done.stdout)
    texts = {el.text for el in results.iter("{http://www.w3.org/2005/sparql-results#}literal")}
    assert texts == {str(o) for _, o in awkward_literals(read_facts(AWKWARD).graph)}


def test_protege_export_parses_and_passes_the_owl_api_check(awkward_store, tmp_path, owl_checker):
    out = tmp_path / "ctkg.owl"
    done = ctkg("export", "--protege", str(out), "--store", str(awkward_store))
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(out, format="xml")
    assert awkward_literals(graph) == awkward_literals(read_facts(AWKWARD).graph)
    checked = owl_checker(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
