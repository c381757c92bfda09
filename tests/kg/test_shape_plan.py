"""Shape planning: which of the project's constraints the build can check one file at a time, which become
lookups on the store (`sh:class`), and when it must fall back to the whole graph."""

from rdflib.namespace import SH

from kg.shacl import load_shapes
from kg.shape_plan import plan_shapes

from .conftest import ROOT


def test_project_shapes_split_into_local_and_class_checks():
    plan = plan_shapes(load_shapes(ROOT / "shapes"))
    assert plan.local, plan.reason
    assert plan.class_checks, "the sh:class constraints are checked on the store"
    assert (None, SH["class"], None) in plan.shapes
    assert (None, SH["class"], None) not in plan.local_shapes


def test_shapes_beyond_the_focus_node_fall_back_to_whole_graph():
    shapes = load_shapes(ROOT / "shapes")
    shapes.update("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX ctkg: <https://w3id.org/ctkg/ontology#>
        INSERT DATA { <urn:x:s> sh:targetClass ctkg:RegulatoryApplication ;
                          sh:property [ sh:path ctkg:product ; sh:node <urn:x:t> ] . }""")
    plan = plan_shapes(shapes)
    assert not plan.local and "sh:node" in plan.reason
