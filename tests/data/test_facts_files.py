"""Every facts file under data/ is tested like code: it parses, conforms to the shapes, cites its source for
every fact, and is in canonical form (STYLE.md, 8).

Each check is a function that returns one file's problems, each naming the command that fixes the file or
shows what to fix; the tests run each check on every file, and on broken copies to show that it can fail.
Conformance is checked file by file: a file's nodes with all their triples (from every file that states
them), the classes of every node they link to, and the ontology, against the shapes. What only the whole
graph can show (a name shared by two resources, dates that contradict each other) is `ctkg validate`'s and
the build's: one test runs `ctkg validate` on all of data/.
"""

import difflib
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from kg.canonical import canonical_text
from kg.errors import FactsError
from kg.facts import SourceFacts, facts_files, read_facts
from kg.ontology import load_ontology
from kg.settings import Settings
from kg.shacl import load_shapes, shacl_findings
from kg.shape_plan import plan_shapes
from kg.validate import validate
from kg.vocab import CTKG

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FILES = facts_files(DATA)
BY_HAND = "fix it by hand (data/README.md); then check it with: ctkg validate"


def shown(path: Path) -> str:
    """The path as typed from the repository's root, so the command in a message runs as printed."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- the checks ---


def parse_problems(path: Path) -> list[str]:
    try:
        read_facts(path)
    except FactsError as exc:
        return [f"{FactsError(shown(path), exc.fact, exc.message)}\n  {BY_HAND}"]
    return []


def shape_problems(facts: SourceFacts, context: Graph, shapes: Graph) -> list[str]:
    """The shapes on the nodes `facts` states. `context` holds the ontology and what every facts file says:
    each node's type, and all the triples of the nodes this file states."""
    data = Graph()
    data += context
    data += facts.graph
    problems = []
    for finding in shacl_findings(data, shapes):
        record = facts.records.get(URIRef(finding.focus))
        if record is not None:
            path = f" [{finding.path}]" if finding.path else ""
            problems.append(f"{shown(facts.path)}, {record.where}: {finding.focus}{path}: {finding.message}\n"
                            f"  {BY_HAND}")
    return sorted(problems)


def source_problems(facts: SourceFacts) -> list[str]:
    """The file's source is declared (a ctkg:Source with a label), and every fact derives from it or from a
    page that is part of it, with evidence quoted."""
    graph, source = facts.graph, facts.source
    where = shown(facts.path)
    problems = []
    if (source, RDF.type, CTKG.Source) not in graph or graph.value(source, RDFS.label) is None:
        problems.append(f"{where}, source: {source} is not declared as a source with a label; give the "
                        f"'source' section an 'id' and a 'label'\n  {BY_HAND}")
    pages = {page for page in graph.subjects(DCTERMS.isPartOf, source) if (page, RDF.type, CTKG.Source) in graph}
    for node, record in sorted(facts.records.items()):
        if node == source:
            continue
        cited = set(graph.objects(node, PROV.wasDerivedFrom))
        if not cited or not cited <= {source} | pages:
            problems.append(f"{where}, {record.where}: {node} does not derive from this file's source or a page "
                            f"of it (cites {sorted(map(str, cited)) or 'nothing'})\n  {BY_HAND}")
        if (node, CTKG.evidence, None) not in graph:
            problems.append(f"{where}, {record.where}: {node} quotes no evidence; add 'evidence'\n  {BY_HAND}")
    stray = set(graph.subjects()) - set(facts.records) - pages
    problems += [f"{where}: {node} is in the file's graph but is no fact of it\n  {BY_HAND}" for node in sorted(stray)]
    return problems


def canonical_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    try:
        canonical = canonical_text(text, shown(path))
    except FactsError as exc:
        return [f"{exc}\n  then put it in canonical form with: ctkg fmt {shown(path)}"]
    if canonical == text:
        return []
    diff = list(difflib.unified_diff(text.splitlines(), canonical.splitlines(), "as written", "canonical",
                                     lineterm="", n=1))
    more = f"\n  ... ({len(diff) - 20} more diff lines)" if len(diff) > 20 else ""
    return [f"{shown(path)} is not in canonical form (data/README.md, 'Canonical form'); to fix, run: "
            f"ctkg fmt {shown(path)}\n" + "\n".join(diff[:20]) + more]


# --- what the checks need, read once ---


@pytest.fixture(scope="module")
def shapes() -> Graph:
    shapes = load_shapes(ROOT / "shapes")
    plan = plan_shapes(shapes)
    # Checking a file with its nodes' triples and its links' classes is exact only for such shapes.
    assert plan.local, f"the shapes read beyond a node's own triples and its values' classes ({plan.reason}): " \
                       "check facts files together, with ctkg validate"
    return shapes


@pytest.fixture(scope="module")
def every_file() -> dict[Path, SourceFacts]:
    unreadable = [shown(path) for path in FILES if parse_problems(path)]
    if unreadable:  # its facts may be what another file's links and shared nodes need
        pytest.skip(f"{', '.join(unreadable)} does not parse (see test_parses), and each file is checked with "
                    "the others' facts")
    return {path: read_facts(path) for path in FILES}


def context_for(facts: SourceFacts, every_file: dict[Path, SourceFacts]) -> Graph:
    context = load_ontology(ROOT / "ontology")
    for other in every_file.values():
        if other.path == facts.path:
            continue
        context += other.graph.triples((None, RDF.type, None))
        for node in facts.records.keys() & other.records.keys():
            context += other.graph.triples((node, None, None))
    return context


def parsed(path: Path) -> SourceFacts:
    problems = parse_problems(path)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    return read_facts(path)


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# --- every facts file ---

file_ids = pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DATA)) for p in FILES])


def test_there_are_facts_files():
    assert len(FILES) >= 2 and all(p.suffix == ".yaml" for p in FILES)


@file_ids
def test_parses(path):
    problems = parse_problems(path)
    assert not problems, report(problems)


@file_ids
def test_conforms_to_the_shapes(path, shapes, every_file):
    facts = parsed(path)
    problems = shape_problems(facts, context_for(facts, every_file), shapes)
    assert not problems, report(problems)


@file_ids
def test_every_fact_cites_its_source(path):
    problems = source_problems(parsed(path))
    assert not problems, report(problems)


@file_ids
def test_is_in_canonical_form(path):
    problems = canonical_problems(path)
    assert not problems, report(problems)


# --- every facts file together ---


def test_every_data_file_conforms():
    """What only the whole graph shows (a node stated by several files, the qc/*-violation.rq queries):
    `ctkg validate` on all of data/."""
    settings = Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=DATA,
                        store_dir=ROOT / "var" / "unused")
    result = validate(settings)
    assert result.conforms, result.text + "\nRun `ctkg validate` to see the report."


# --- the checks fail on broken files, naming the command that fixes them ---

GOOD = """\
# A facts file for the tests.
source:
  id: test-source
  label: A test source

jurisdictions:
  - id: testland
    label: Testland
    evidence: "in Testland"

authorities:
  - id: test-agency
    label: Test Agency
    jurisdiction: testland
    evidence: "the Test Agency of Testland"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test-source.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_passes_every_check(tmp_path, shapes, every_file):
    path = write(tmp_path, GOOD)
    facts = read_facts(path)
    assert parse_problems(path) == []
    assert shape_problems(facts, context_for(facts, every_file), shapes) == []
    assert source_problems(facts) == []
    assert canonical_problems(path) == []


@pytest.mark.parametrize("broken", ["jurisdictions:\n  - id: [unclosed\n", "source:\n  label: no id\n",
                                    GOOD.replace("    evidence: \"in Testland\"\n", "    founded: 1900\n")],
                         ids=["bad-yaml", "no-source-id", "unknown-field"])
def test_a_file_that_does_not_parse_fails(tmp_path, broken):
    (problem,) = parse_problems(write(tmp_path, broken))
    assert "test-source.yaml" in problem and "ctkg validate" in problem


@pytest.mark.parametrize(("broken", "path"), [
    (GOOD.replace("    label: Test Agency\n", ""), "rdfs:label"),  # every named resource has one label
    (GOOD.replace("    jurisdiction: testland\n", ""), "ctkg:jurisdiction"),  # an authority has its jurisdiction
    (GOOD.replace("jurisdiction: testland", "jurisdiction: nowhere"), "ctkg:jurisdiction"),  # links to no jurisdiction
    (GOOD.replace('evidence: "in Testland"', 'evidence: "in"'), "ctkg:evidence"),  # too short to quote anything
    # `fda` is labelled in data/sources/: a second label, in another file, is one too many.
    (GOOD + "  - id: fda\n    label: Food and Drugs\n    jurisdiction: united-states\n    evidence: \"the FDA\"\n",
     "rdfs:label"),
], ids=["no-label", "no-jurisdiction", "jurisdiction-not-stated-anywhere", "evidence-too-short",
        "second-label-across-files"])
def test_a_file_that_breaks_a_shape_fails(tmp_path, shapes, every_file, broken, path):
    facts = read_facts(write(tmp_path, broken))
    problems = shape_problems(facts, context_for(facts, every_file), shapes)
    assert problems and all("ctkg validate" in p for p in problems)
    assert any(f"[{path}]" in p for p in problems), problems


def test_a_link_to_a_fact_of_another_file_conforms(tmp_path, shapes, every_file):
    """`nmpa` and `mainland-china` are stated in data/sources/: a file may link to them."""
    linked = GOOD + "\npathways:\n  - id: test-route\n    label: Test route\n    authority: nmpa\n" \
                    "    jurisdiction: mainland-china\n    evidence: \"a test route\"\n"
    facts = read_facts(write(tmp_path, linked))
    assert shape_problems(facts, context_for(facts, every_file), shapes) == []


def test_a_fact_without_its_source_fails(tmp_path):
    facts = read_facts(write(tmp_path, GOOD))
    agency = URIRef("https://w3id.org/ctkg/id/authority/test-agency")
    facts.graph.remove((agency, PROV.wasDerivedFrom, None))
    facts.graph.remove((agency, CTKG.evidence, None))
    facts.graph.add((agency, PROV.wasDerivedFrom, URIRef("https://example.org/elsewhere")))
    facts.graph.remove((facts.source, RDFS.label, None))
    problems = source_problems(facts)
    assert len(problems) == 3 and all("ctkg validate" in p for p in problems)
    agency_fact = f"{facts.path}, authorities[0] (test-agency)"
    assert [p.split(":")[0] for p in problems] == [f"{facts.path}, source", agency_fact, agency_fact]


@pytest.mark.parametrize("broken", [
    GOOD.replace("source:\n  id: test-source\n  label: A test source\n\n", "") + "\nsource:\n  id: test-source\n"
    "  label: A test source\n",  # source last
    GOOD.replace("    label: Test Agency\n    jurisdiction: testland\n",
                 "    jurisdiction: testland\n    label: Test Agency\n"),  # fields out of order
    GOOD.replace("\n  - id:", "\n    - id:").replace("\n    label:", "\n      label:")
        .replace("\n    jurisdiction:", "\n      jurisdiction:").replace("\n    evidence:", "\n      evidence:"),
    GOOD.replace("\njurisdictions:", "\n\n\njurisdictions:"),  # blank lines
], ids=["source-last", "fields-out-of-order", "indented-by-four", "extra-blank-lines"])
def test_a_file_out_of_canonical_form_fails_naming_ctkg_fmt(tmp_path, broken):
    path = write(tmp_path, broken)
    (problem,) = canonical_problems(path)
    assert f"ctkg fmt {path}" in problem
    path.write_text(canonical_text(broken), encoding="utf-8")
    assert canonical_problems(path) == []
