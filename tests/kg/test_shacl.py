"""The build's SHACL engine (pyshacl-turbo) finds what the reference engine (pySHACL) finds, finding for finding:
on every curated facts file, and on graphs broken in the ways the shapes check."""

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.compile import add_inferred_types
from kg.facts import facts_files, read_facts
from kg.ontology import load_ontology, superclasses
from kg.shacl import ENGINES, load_shapes, shacl_findings
from kg.shape_plan import plan_shapes
from kg.vocab import CTKG

from .conftest import ROOT

SHAPES = load_shapes(ROOT / "shapes")
SHAPE_SETS = {"all shapes": SHAPES, "the build's local shapes": plan_shapes(SHAPES).local_shapes}
FACTS_FILES = facts_files(ROOT / "data")
SEED = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"
CLOSURE = {str(c): sorted(str(s) for s in sups) for c, sups in superclasses(load_ontology(ROOT / "ontology")).items()}


def typed(path: Path) -> Graph:
    """A facts file's graph as the build checks it: each instance typed with its classes' superclasses."""
    src = read_facts(path)
    add_inferred_types(src, CLOSURE)
    return src.graph


def findings(graph: Graph, shapes: Graph, engine: str) -> list[tuple[str, str, str, str]]:
    return sorted((f.focus, f.path, f.message, f.severity) for f in shacl_findings(graph, shapes, False, engine))


def assert_same(graph: Graph) -> list:
    found = None
    for shapes in SHAPE_SETS.values():
        found = {engine: findings(graph, shapes, engine) for engine in ENGINES}
        assert found["pyshacl-turbo"] == found["pyshacl"]
    return found["pyshacl"]


@pytest.mark.parametrize("path", FACTS_FILES, ids=lambda p: p.name)
def test_every_curated_file_gets_the_same_findings(path: Path):
    assert_same(typed(path))  # alone, a file may miss what another states (a class of a linked node)


def _first(graph: Graph, rdf_class: URIRef) -> URIRef:
    return next(s for s in graph.subjects(RDF.type, rdf_class) if isinstance(s, URIRef))


def _drop_label(g: Graph) -> None:
    g.remove((_first(g, CTKG.RegulatoryAuthority), RDFS.label, None))


def _second_label(g: Graph) -> None:
    g.add((_first(g, CTKG.RegulatoryAuthority), RDFS.label, Literal("Another name")))


def _label_with_a_language(g: Graph) -> None:
    node = _first(g, CTKG.RegulatoryAuthority)
    g.remove((node, RDFS.label, None))
    g.add((node, RDFS.label, Literal("Name", lang="en")))


def _confidence_not_in_the_list(g: Graph) -> None:
    g.add((_first(g, CTKG.RegulatoryApplication), CTKG.confidence, CTKG.Approved))  # a status, not a confidence


def _no_status(g: Graph) -> None:
    g.remove((_first(g, CTKG.RegulatoryApplication), CTKG.status, None))


def _a_date_as_a_string(g: Graph) -> None:
    g.add((_first(g, CTKG.RegulatoryApplication), CTKG.decisionDate, Literal("2023-06-30", datatype=XSD.string)))


def _short_evidence(g: Graph) -> None:
    node = _first(g, CTKG.RegulatoryApplication)
    g.remove((node, CTKG.evidence, None))
    g.add((node, CTKG.evidence, Literal("ab")))


def _a_blank_node_fact(g: Graph) -> None:
    g.add((BNode(), RDF.type, CTKG.Jurisdiction))


BREAKAGES: dict[str, Callable[[Graph], None]] = {f.__name__.strip("_"): f for f in (
    _drop_label, _second_label, _label_with_a_language, _confidence_not_in_the_list, _no_status,
    _a_date_as_a_string, _short_evidence, _a_blank_node_fact)}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_graph_gets_the_same_findings(breakage: str):
    graph = typed(SEED)
    BREAKAGES[breakage](graph)
    assert assert_same(graph) != [], "the breakage is one the shapes find"
