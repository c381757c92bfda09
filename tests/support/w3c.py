"""The W3C SPARQL 1.0 and 1.1 query-syntax suites, read from their manifests where they are kept
(`../shared/w3c-sparql-syntax/`, never copied into the repository), and what an answer to one of their
queries means. Used by `tests/api/test_w3c_syntax.py` and `bench/w3c_syntax.py`."""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT.parent / "shared" / "w3c-sparql-syntax"  # ../shared/w3c-sparql-syntax, next to the repository

_MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
_WITHDRAWN = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#Withdrawn"
_APPROVAL = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#approval"
QUERY_TYPES = {f"{_MF}PositiveSyntaxTest": True, f"{_MF}PositiveSyntaxTest11": True,
               f"{_MF}NegativeSyntaxTest": False, f"{_MF}NegativeSyntaxTest11": False}
UPDATE_TYPES = {f"{_MF}PositiveUpdateSyntaxTest11", f"{_MF}NegativeUpdateSyntaxTest11"}


@dataclass(frozen=True)
class SyntaxTest:
    """One W3C query-syntax test: the suite (its folder), the query file, and whether the query is valid."""

    suite: str
    file: Path
    valid: bool

    @property
    def name(self) -> str:
        """How a test names it: `syntax-query/syn-bad-01.rq`."""
        return f"{self.suite}/{self.file.name}"

    def query(self) -> bytes:
        return self.file.read_bytes()  # as published: some are about encodings


@dataclass(frozen=True)
class Suites:
    queries: list[SyntaxTest]
    updates: int  # update-syntax tests in the manifests, not run (updates are refused by policy)
    withdrawn: int


def read_suites(root: Path = SUITES) -> Suites:
    """Every approved query-syntax test of the manifests under `root`, in manifest order."""
    from rdflib import Graph, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import RDF

    tests, updates, withdrawn = [], 0, 0
    for manifest in sorted(root.glob("sparql/*/*/manifest.ttl")):
        graph = Graph().parse(manifest, format="turtle")
        for entries in graph.objects(None, URIRef(f"{_MF}entries")):
            for test in Collection(graph, entries):
                kinds = {str(kind) for kind in graph.objects(test, RDF.type)}
                if str(graph.value(test, URIRef(_APPROVAL))) == _WITHDRAWN:
                    withdrawn += 1
                elif kinds & UPDATE_TYPES:
                    updates += 1
                elif kind := next((k for k in kinds if k in QUERY_TYPES), None):
                    action = str(graph.value(test, URIRef(f"{_MF}action"))).removeprefix("file://")
                    tests.append(SyntaxTest(manifest.parent.name, Path(action), QUERY_TYPES[kind]))
    return Suites(tests, updates, withdrawn)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    OUTSIDE_GRAPH = "refused by policy: a graph outside the store"
    NO_SUCH_FUNCTION = "refused by policy: a function the endpoint lacks"
    REFUSED = "refused"
    SERVER_ERROR = "5xx"

    @property
    def by_policy(self) -> bool:
        return self in (Outcome.OUTSIDE_GRAPH, Outcome.NO_SUCH_FUNCTION)


def outcome(status: int, text: str) -> Outcome:
    """What an answer of CTKG's `/sparql` (or of another server) means for a syntax test."""
    if status == 200 or (status == 422 and "this endpoint's limit" in text):  # read and run; the answer too big
        return Outcome.ACCEPTED
    if status >= 500:
        return Outcome.SERVER_ERROR
    if status == 400 and "which is not a graph of this store" in text:
        return Outcome.OUTSIDE_GRAPH
    if status == 400 and "which is not a function of this endpoint" in text:
        return Outcome.NO_SUCH_FUNCTION
    return Outcome.REFUSED


def send(client, url: str, test: SyntaxTest) -> Outcome:
    response = client.post(url, content=test.query(), headers={
        "Content-Type": "application/sparql-query",
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"})
    return outcome(response.status_code, response.text)
