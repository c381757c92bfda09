"""Reading facts files: dates as precise as written, stable IRIs, provenance, and bad input rejected
with an error that names the file and the fact."""

import tracemalloc
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from kg.errors import FactsError
from kg.facts import date, read_facts
from kg.vocab import CTKG, ID
from tests.support.hostile import billion_laughs

from .conftest import SEED


@pytest.mark.parametrize(("written", "datatype"), [
    ("2023-06-30", XSD.date), ("2023-06", XSD.gYearMonth), ("2023", XSD.gYear),
])
def test_dates_keep_their_precision(written, datatype):
    assert date(written) == [Literal(written, datatype=datatype)]


@pytest.mark.parametrize("written", ["2023-02-30", "2023-13", "June 2023", "23-06", "", "0000", "0000-01",
                                     "\u0662\u0660\u0662\u0663",  # Arabic-Indic digits
                                     "\uff12\uff10\uff12\uff13-06"])  # full-width digits
def test_impossible_or_malformed_dates_are_refused(written):
    with pytest.raises(ValueError):
        date(written)


def test_seed_facts_live_in_the_source_graph_with_provenance():
    facts = read_facts(SEED)
    source = ID["source/pharmaceutical-technology-fucaso-hong-kong-approval"]
    assert facts.graph.identifier == source
    assert (source, RDF.type, CTKG.Source) in facts.graph
    nodes = {s for s in facts.graph.subjects(RDF.type, None) if s != source}
    assert nodes, "the seed file states facts"
    for node in nodes:
        assert isinstance(node, URIRef) and str(node).startswith(str(ID))
        assert (node, PROV.wasDerivedFrom, source) in facts.graph, node
        assert facts.graph.value(node, CTKG.evidence) is not None, node


def test_same_input_gives_same_iris_and_triples():
    assert set(read_facts(SEED).graph) == set(read_facts(SEED).graph)


def test_month_only_date_stays_month_only():
    facts = read_facts(SEED)
    app = ID["application/equecabtagene-autoleucel-mainland-china-bla"]
    assert facts.graph.value(app, CTKG.decisionDate) == Literal("2023-06", datatype=XSD.gYearMonth)


def test_no_blank_nodes():
    from rdflib import BNode

    assert not any(isinstance(t, BNode) for triple in read_facts(SEED).graph for t in triple)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SOURCE = "source:\n  id: test-source\n  label: A test source\n"


@pytest.mark.parametrize(("text", "fact", "says"), [
    (SOURCE + "companies:\n  - id: x\n    label: [unclosed\n", "", "invalid YAML at line"),
    (SOURCE + "applications:\n  - id: a\n    decision_date: 2023-02-30\n    evidence: e e e\n",
     "applications[0] (a)", "not a real calendar date"),
    (SOURCE + "applications:\n  - id: a\n    status: pending\n    evidence: e e e\n",
     "applications[0] (a)", "'pending' is not one of"),
    (SOURCE + "companies:\n  - id: x\n    label: X\n    evidence: e e e\n"
              "  - id: x\n    label: Y\n    evidence: f f f\n", "companies[1] (x)", "IRI clash"),
    (SOURCE + "companies:\n  - id: x\n    colour: red\n", "companies[0] (x)", "unknown field 'colour'"),
    (SOURCE + "companies:\n  - id: Not A Slug\n", "companies[0] (Not A Slug)", "not a valid id"),
    (SOURCE + "widgets:\n  - id: x\n", "", "unknown section"),
    ("companies: []\n", "source", "'source' section"),
])
def test_bad_input_names_file_and_fact(tmp_path, text, fact, says):
    path = _write(tmp_path, text)
    with pytest.raises(FactsError) as caught:
        read_facts(path)
    assert caught.value.file == path
    assert caught.value.fact == fact
    assert says in caught.value.message
    assert str(path) in str(caught.value)


# --- YAML that executes, expands or nests ---


def _python_tags(target: Path) -> list[str]:
    return [
        f'source:\n  id: tags\n  title: !!python/object/apply:os.system ["touch {target}"]\n',
        f'source:\n  id: tags\n  title: !!python/object/new:subprocess.Popen [["touch", "{target}"]]\n',
        "source:\n  id: tags\n  title: !!python/name:os.system\n",
        "source:\n  id: tags\n  title: !!python/module:os\n",
        f'source: !!python/object/apply:builtins.exec ["open(\'{target}\', \'w\')"]\n',
    ]


BAD_YAML = {
    "billion laughs": billion_laughs(),
    "merge key": "defaults: &d {title: x}\nsource:\n  <<: *d\n  id: merged\n",
    "alias of a scalar": "source:\n  id: &i aliased\n  title: *i\n",
    "deep nesting": "source:\n  id: deep\n  title: " + "[" * 20_000 + "]" * 20_000 + "\n",
}


@pytest.mark.parametrize("name", BAD_YAML)
def test_expanding_or_deep_yaml_is_refused_at_once(tmp_path, name):
    """Refused on the parser's events, before anything is composed: by the alias or depth check (never a
    RecursionError), having allocated next to nothing."""
    path = tmp_path / "facts.yaml"
    path.write_text(BAD_YAML[name], encoding="utf-8")
    with pytest.raises(FactsError) as refused:
        read_facts(path)
    assert "alias" in str(refused.value) or "nests too deeply" in str(refused.value)
    if name != "deep nesting":  # (tracing every allocation makes PyYAML's recursion slow)
        tracemalloc.start()
        try:
            with pytest.raises(FactsError):
                read_facts(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 5_000_000


def test_python_tags_are_refused_and_run_nothing(tmp_path):
    target = tmp_path / "pwned"
    for number, text in enumerate(_python_tags(target)):
        path = tmp_path / f"tags-{number}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FactsError, match=r"the tag !!python/\S+ \(line \d+\) is not allowed"):
            read_facts(path)
    assert not target.exists()
