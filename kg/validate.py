"""Validation: SHACL shapes and whole-graph quality checks (`qc/*-violation.rq`).

One result type, `ValidationResult`, whatever found the problem; each violation is traced back to the
facts file and the fact that stated its focus node.

Two SHACL engines, with the same API and, on everything we have checked, the same findings:
- pySHACL, the reference engine in Python (about 90 µs per triple with our shapes);
- pyshacl-turbo, a SHACL engine in Rust with pySHACL's API (about 12-15 µs per triple). The build uses it by
  default (`CTKG_SHACL_ENGINE`). Its findings matched pySHACL's on every curated and synthetic file and every
  invalid test fixture. It reads XSD dates more strictly than rdflib does, which no facts file can reach
  (`kg.facts.date` accepts ASCII digits in the XSD forms only).

Two ways to check the same shapes, with the same report:

- `validate` runs pySHACL once on the union of every source: the reference, and what `ctkg validate` runs.
- A `ShapePlan` splits the shapes so that a large graph can be checked in parts. When every constraint
  looks only at the focus node's own triples, except `sh:class` on a property's values, the plan's engine
  checks each facts file on its own (in parallel, and only the files that changed), each `sh:class`
  becomes lookups on the store (`class_findings`), and nodes stated by several files are checked on all
  their triples together. `plan_shapes` proves the shapes are of that kind, or says why not, and the build
  then checks the whole graph in one piece. The tests compare the split check (pyshacl-turbo) with the
  reference (pySHACL), so the two engines are compared on every test graph.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
import pyshacl
import pyshacl_turbo
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from .facts import FactRecord
from .oxutil import to_ox_quads
from .vocab import PREFIXES, sparql_prologue


@dataclass(frozen=True)
class Violation:
    file: str
    fact: str
    focus: str
    path: str
    message: str
    severity: str = "Violation"

    def line(self) -> str:
        where = f"{self.file}, {self.fact}" if self.file else "(no facts file)"
        path = f" [{self.path}]" if self.path else ""
        return f"{where}: {self.focus}{path}: {self.message}"


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.conforms:
            return "Conforms: every fact satisfies the shapes and the quality checks."
        lines = [f"Does not conform: {len(self.violations)} problem(s)."]
        lines += [f"- {v.line()}" for v in self.violations]
        return "\n".join(lines)


class Finding(NamedTuple):
    """A violation before it is traced to its facts file; plain strings, so it can be cached as JSON."""

    focus: str
    path: str
    message: str
    severity: str


def load_shapes(shapes_dir: Path) -> Graph:
    """The project's own shapes, parsed from local files only (nothing is fetched)."""
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def qc_queries() -> dict[str, str]:
    """The whole-graph checks: each `*-violation.rq` returns ?focus and ?message for every problem."""
    folder = resources.files("kg") / "qc"
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith("-violation.rq")
    }


def validate(
    data: Graph,
    shapes: Graph,
    records: dict[URIRef, list[FactRecord]],
    store: ox.Store | None = None,
) -> ValidationResult:
    """Validate `data` (the union of all sources plus the ontology) against `shapes` (with the reference
    engine, pySHACL) and the QC queries.

    `store` is the same data as a pyoxigraph store for the QC queries; one is made when not given.
    """
    if store is None:
        store = ox.Store()
        store.bulk_extend(to_ox_quads(data))
    shacl = shacl_findings(data, shapes, inplace=False, engine=REFERENCE_ENGINE)
    return result_of(shacl, qc_findings(store), lambda focus: where(records, focus))


def where(records: dict[URIRef, list[FactRecord]], focus: str) -> tuple[str, str]:
    """The facts file(s) and fact(s) that stated `focus`, for the report."""
    stated = records.get(URIRef(focus))
    if not stated:
        return "", ""
    return "; ".join(sorted({str(r.file) for r in stated})), "; ".join(r.where for r in stated)


def result_of(shacl: Iterable[Finding], qc: Iterable[Finding], locate) -> ValidationResult:
    """One report: the shapes' findings, then the quality checks', each sorted and traced by `locate`."""

    def traced(findings: Iterable[Finding]) -> list[Violation]:
        out = []
        for f in findings:
            file, fact = locate(f.focus)
            out.append(Violation(file=file, fact=fact, focus=f.focus, path=f.path, message=f.message,
                                 severity=f.severity))
        return sorted(out, key=lambda v: (v.file, v.fact, v.path, v.message))

    violations = traced(shacl) + traced(qc)
    return ValidationResult(conforms=not violations, violations=violations)


# --- pySHACL ---


@functools.cache
def _names() -> Graph:
    """A graph that only carries the prefix table, to shorten IRIs in reports the same way everywhere."""
    names = Graph()
    for prefix, ns in PREFIXES.items():
        names.bind(prefix, ns)
    return names


def short(term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        try:
            return _names().namespace_manager.normalizeUri(term)
        except Exception:  # noqa: BLE001 - a name that cannot be shortened is shown whole
            return str(term)
    return str(term)


ENGINES = {"pyshacl-turbo": pyshacl_turbo.validate, "pyshacl": pyshacl.validate}
REFERENCE_ENGINE = "pyshacl"
BUILD_ENGINE = "pyshacl-turbo"


def shacl_findings(data: Graph, shapes: Graph, inplace: bool = True, engine: str = BUILD_ENGINE) -> list[Finding]:
    """The SHACL engine `engine` (a key of ENGINES) on `data`. `inplace` skips the copy of the data graph;
    safe for shapes without rules."""
    conforms, report, _ = ENGINES[engine](
        data, shacl_graph=shapes, inference="none", advanced=True, inplace=inplace, allow_warnings=True,
        do_owl_imports=False,
    )
    if not isinstance(report, Graph):  # pyshacl-turbo returns its failure in place of the report
        raise RuntimeError(f"SHACL validation by {engine} failed: {report}")
    if conforms:
        return []
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        message = report.value(result, SH.resultMessage)
        out.append(Finding(
            focus=str(report.value(result, SH.focusNode)), path=short(report.value(result, SH.resultPath)),
            message=str(message) if message else "does not conform",
            severity=short(report.value(result, SH.resultSeverity)),
        ))
    return out


def qc_findings(store: ox.Store) -> list[Finding]:
    """The `qc/*-violation.rq` queries on the whole store (the default graph holds the union)."""
    out = []
    for name, query in qc_queries().items():
        for row in store.query(sparql_prologue() + query):
            out.append(Finding(focus=row["focus"].value, path=name.removesuffix("-violation.rq"),
                               message=row["message"].value, severity="Violation"))
    return out


# --- splitting the shapes ---


@dataclass(frozen=True)
class ClassCheck:
    """An `sh:class` constraint of a property shape, checked on the whole store instead of by pySHACL."""

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
    reason: str = ""  # why not, when not local
    engine: str = BUILD_ENGINE  # the SHACL engine that checks the parts (a key of ENGINES)

    def local_findings(self, graph: Graph) -> list[Finding]:
        """The local shapes on `graph`: exact for the nodes whose every triple is in it."""
        return shacl_findings(graph, self.local_shapes, inplace=True, engine=self.engine)


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
    """Split `shapes` into local constraints (`engine` per part) and `sh:class` checks (queries on the store).

    The plan is local only when it can be proved from the shapes graph; anything this function does not
    know (a target other than sh:targetClass, a path other than one property, sh:node, SPARQL constraints,
    rules, severities, deactivated shapes) makes the plan non-local and the build validates the union."""
    try:
        checks = _class_checks(shapes)
    except _NotLocal as reason:
        return ShapePlan(shapes, shapes, [], local=False, reason=str(reason), engine=engine)
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
            raise _NotLocal(f"the shapes use {short(predicate)}")
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
                                                f"Value does not have class {short(cls)}")))
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
            raise _NotLocal(f"{short(shape)} uses {short(predicate)}")


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
            raise _NotLocal(f"the property shape on {short(path)} uses {short(predicate)}")


def _check_value_shape(shapes: Graph, shape) -> None:
    """A shape applied to each value node: it may only look at the value itself."""
    for predicate, value in shapes.predicate_objects(shape):
        if predicate in _DESCRIPTIVE or predicate in _ON_THE_NODE:
            continue
        if not _check_nested(shapes, predicate, value):
            raise _NotLocal(f"a shape on values uses {short(predicate)}, which reads beyond the value")


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

    With `foci` (pyoxigraph terms), only those focus nodes are checked. Lookups by pattern, not SPARQL:
    the checks' IRIs come from the shapes, and a query per check with them as substitutions took 3.3 s at
    100k triples on disk against 0.1 s for these scans."""
    types = _Types(store, preload=foci is None)
    closure = _subclasses(store)
    plans = []
    for check in checks:
        targeted = set().union(*(closure.get(t, {t}) for t in (ox.NamedNode(str(t)) for t in check.targets)))
        required = ox.NamedNode(str(check.rdf_class))
        plans.append((check, ox.NamedNode(str(check.path)), targeted, closure.get(required, {required})))
    bad: set[tuple[int, object, object]] = set()  # (check, focus, value): a set, as pySHACL's focus nodes
    for n, (check, path, targeted, allowed) in enumerate(plans):
        if foci is None:
            pairs = ((q.subject, q.object) for q in store.quads_for_pattern(None, path, None))
        else:
            pairs = ((q.subject, q.object) for focus in foci if types.of(focus) & targeted
                     for q in store.quads_for_pattern(focus, path, None))
        bad.update((n, focus, value) for focus, value in pairs
                   if types.of(focus) & targeted and not types.of(value) & allowed)
    severity = short(SH.Violation)
    return [Finding(focus.value, short(plans[n][0].path), plans[n][0].message, severity) for n, focus, _ in bad]


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
    closure = {}
    for cls in direct:
        seen, todo = {cls}, [cls]
        while todo:
            for sub in direct.get(todo.pop(), ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        closure[cls] = seen
    return closure

