"""Shape planning: which constraints of the shapes can be checked one facts file at a time.

When every constraint looks only at the focus node's own triples, except `sh:class` on a property's
values, a `ShapePlan` checks each facts file on its own with its engine (in parallel, and only the files
that changed), turns each `sh:class` into lookups on the store (`class_findings`), and leaves the nodes
stated by several files to be checked on all their triples together (`kg.validate`). `plan_shapes` proves
that the shapes are of that kind, or says why not; then the plan is not local and the whole graph is
checked in one piece. `tests/kg/test_validate.py` compares the split check with the reference.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from .findings import Finding
from .ontology import closure
from .shacl import BUILD_ENGINE, REFERENCE_ENGINE, shacl_findings, term_name


@dataclass(frozen=True)
class ClassCheck:
    """An `sh:class` constraint of a property shape, checked on the whole store instead of by the engine."""

    targets: tuple[URIRef, ...]  # the node shape's target classes
    path: URIRef
    rdf_class: URIRef
    message: str


@dataclass
class ShapePlan:
    shapes: Graph  # as written
    local_shapes: Graph  # without the sh:class constraints that `class_checks` hold
    class_checks: list[ClassCheck]
    local: bool  # every constraint of `local_shapes` reads only the focus node's own triples
    reason: str = ""  # why not, when the shapes could not be split
    engine: str = BUILD_ENGINE  # the SHACL engine that checks the parts (a key of kg.shacl.ENGINES)

    def local_findings(self, graph: Graph) -> list[Finding]:
        """The local shapes on `graph`: exact for the nodes whose every triple is in it."""
        return shacl_findings(graph, self.local_shapes, inplace=True, engine=self.engine)


def whole_graph_plan(shapes: Graph, engine: str = REFERENCE_ENGINE, reason: str = "") -> ShapePlan:
    """A plan that checks the whole graph in one piece with `engine`: the reference check."""
    return ShapePlan(shapes, shapes, [], local=False, reason=reason, engine=engine)


# Parameters that read nothing but the node they apply to (a focus node or a value node).
_ON_THE_NODE = {SH[n] for n in (
    "datatype nodeKind in hasValue minLength maxLength pattern flags languageIn "
    "minInclusive maxInclusive minExclusive maxExclusive"
).split()}
# Parameters that compare values of the focus node's own properties.
_ON_THE_VALUES = {SH[n] for n in "minCount maxCount uniqueLang equals disjoint lessThan lessThanOrEquals".split()}
_LOGICAL = {SH["or"], SH["and"], SH["xone"]}
_DESCRIPTIVE = {SH[n] for n in "message name description order group defaultValue".split()} | {
    RDF.type, RDFS.comment, RDFS.label}


class _NotLocal(Exception):
    pass


def plan_shapes(shapes: Graph, engine: str = BUILD_ENGINE) -> ShapePlan:
    """Split `shapes` into local constraints (`engine` per part) and `sh:class` checks (lookups on the store).

    The plan is local only when it can be proved from the shapes graph; anything this function does not
    know (a target other than sh:targetClass, a path other than one property, sh:node, SPARQL constraints,
    rules, severities, deactivated shapes) makes the plan non-local and the build validates the union."""
    try:
        checks = _class_checks(shapes)
    except _NotLocal as reason:
        return whole_graph_plan(shapes, engine, reason=str(reason))
    local_shapes = Graph()
    for prefix, ns in shapes.namespaces():
        local_shapes.bind(prefix, ns)
    removed = {(shape, SH["class"], check.rdf_class) for shape, check in checks}
    for triple in shapes:
        if triple not in removed:
            local_shapes.add(triple)
    return ShapePlan(shapes, local_shapes, [check for _, check in checks], local=True, engine=engine)


def _class_checks(shapes: Graph) -> list[tuple[URIRef | BNode, ClassCheck]]:
    for predicate in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target, SH.severity,
                      SH.deactivated, SH.sparql, SH.rule, SH.node, SH.qualifiedValueShape, SH.closed):
        if (None, predicate, None) in shapes:
            raise _NotLocal(f"the shapes use {term_name(predicate)}")
    for cls in (RDFS.Class, OWL.Class):
        if (None, RDF.type, cls) in shapes:
            raise _NotLocal("a shape is also a class (an implicit class target)")
    checks = []
    node_shapes = set(shapes.subjects(SH.targetClass, None))
    for node_shape in sorted(node_shapes, key=str):
        targets = tuple(sorted(shapes.objects(node_shape, SH.targetClass), key=str))
        _check_focus_shape(shapes, node_shape, top=True)
        for prop in shapes.objects(node_shape, SH.property):
            for cls in shapes.objects(prop, SH["class"]):
                path = shapes.value(prop, SH.path)
                message = shapes.value(prop, SH.message)
                checks.append((prop, ClassCheck(targets, path, cls, str(message) if message else
                                                f"Value does not have class {term_name(cls)}")))
    # Shapes reached only through sh:property of an untargeted node shape would never run; nothing to do.
    return checks


def _check_focus_shape(shapes: Graph, shape, top: bool) -> None:
    """A shape applied to a focus node: its constraints may read the focus node's own triples."""
    for predicate, value in shapes.predicate_objects(shape):
        if predicate in _DESCRIPTIVE or predicate in _ON_THE_NODE or predicate == SH.targetClass:
            continue
        if predicate == SH.property:
            _check_property_shape(shapes, value, class_allowed=top)
        elif predicate in _LOGICAL:
            for member in Collection(shapes, value):
                if (member, SH.path, None) in shapes:
                    _check_property_shape(shapes, member, class_allowed=False)
                else:
                    _check_focus_shape(shapes, member, top=False)
        elif predicate == SH["not"]:
            _check_focus_shape(shapes, value, top=False)
        else:
            raise _NotLocal(f"{term_name(shape)} uses {term_name(predicate)}")


def _check_property_shape(shapes: Graph, shape, class_allowed: bool) -> None:
    path = shapes.value(shape, SH.path)
    if not isinstance(path, URIRef):
        raise _NotLocal(f"a property shape's path is not a single property: {path!r}")
    for predicate, value in shapes.predicate_objects(shape):
        if predicate in _DESCRIPTIVE or predicate in _ON_THE_NODE or predicate in _ON_THE_VALUES \
                or predicate == SH.path:
            continue
        if predicate == SH["class"] and class_allowed:
            continue
        if not _check_nested(shapes, predicate, value):
            raise _NotLocal(f"the property shape on {term_name(path)} uses {term_name(predicate)}")


def _check_value_shape(shapes: Graph, shape) -> None:
    """A shape applied to each value node: it may only look at the value itself."""
    for predicate, value in shapes.predicate_objects(shape):
        if predicate in _DESCRIPTIVE or predicate in _ON_THE_NODE:
            continue
        if not _check_nested(shapes, predicate, value):
            raise _NotLocal(f"a shape on values uses {term_name(predicate)}, which reads beyond the value")


def _check_nested(shapes: Graph, predicate, value) -> bool:
    """Check the shapes nested under sh:and/or/xone/not as shapes on values; False if `predicate` is none
    of those."""
    if predicate in _LOGICAL:
        for member in Collection(shapes, value):
            _check_value_shape(shapes, member)
        return True
    if predicate == SH["not"]:
        _check_value_shape(shapes, value)
        return True
    return False


def class_findings(store: ox.Store, checks: list[ClassCheck], foci: Iterable | None = None) -> list[Finding]:
    """The `sh:class` checks on the store (all graphs together): every value of the property, on every
    instance of a target class, that is not an instance of the class or of a subclass of it.

    With `foci` (pyoxigraph terms), only those focus nodes are checked. Lookups by pattern rather than a
    SPARQL query per check: the checks' IRIs come from the shapes, and scans over the store's index are
    much faster than that many queries (see bench/README.md)."""
    types = _Types(store, preload=foci is None)
    subclasses = _subclasses(store)
    plans = []
    for check in checks:
        targeted = set().union(*(subclasses.get(t, {t}) for t in (ox.NamedNode(str(t)) for t in check.targets)))
        required = ox.NamedNode(str(check.rdf_class))
        plans.append((check, ox.NamedNode(str(check.path)), targeted, subclasses.get(required, {required})))
    bad: set[tuple[int, object, object]] = set()  # (check, focus, value): a set, as pySHACL's focus nodes
    for n, (_, path, targeted, allowed) in enumerate(plans):
        if foci is None:
            pairs = ((q.subject, q.object) for q in store.quads_for_pattern(None, path, None))
        else:
            pairs = ((q.subject, q.object) for focus in foci if types.of(focus) & targeted
                     for q in store.quads_for_pattern(focus, path, None))
        bad.update((n, focus, value) for focus, value in pairs
                   if types.of(focus) & targeted and not types.of(value) & allowed)
    severity = term_name(SH.Violation)
    return [Finding(focus.value, term_name(plans[n][0].path), plans[n][0].message, severity) for n, focus, _ in bad]


class _Types:
    """The rdf:type of nodes in any graph of the store: all read at once, or looked up one node at a time."""

    def __init__(self, store: ox.Store, preload: bool):
        self.store = store
        self.known: dict = {}
        self.complete = preload
        if preload:
            for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), None):
                self.known.setdefault(quad.subject, set()).add(quad.object)

    def of(self, node) -> set:
        if node in self.known:
            return self.known[node]
        if self.complete or isinstance(node, ox.Literal):
            return set()
        found = {q.object for q in self.store.quads_for_pattern(node, ox.NamedNode(str(RDF.type)), None)}
        self.known[node] = found
        return found


def _subclasses(store: ox.Store) -> dict:
    """Each class with itself and all its subclasses, from the rdfs:subClassOf triples of the store."""
    direct: dict = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None):
        direct.setdefault(quad.object, set()).add(quad.subject)
    return {cls: subs | {cls} for cls, subs in closure(direct).items()}

