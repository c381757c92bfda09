"""Validation of the whole graph: SHACL shapes (pySHACL) and whole-graph quality checks (`qc/*-violation.rq`).

One result type, `ValidationResult`, whatever found the problem; each violation is traced back to the
facts file and the fact that stated its focus node.
"""

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from .facts import FactRecord
from .oxutil import to_ox_quads
from .vocab import sparql_prologue


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
    """Validate `data` (the union of all sources plus the ontology) against `shapes` and the QC queries.

    `store` is the same data as a pyoxigraph store for the QC queries; one is made when not given.
    """
    violations = _shacl(data, shapes, records) + _qc(data, records, store)
    return ValidationResult(conforms=not violations, violations=violations)


def _where(records: dict[URIRef, list[FactRecord]], focus) -> tuple[str, str]:
    stated = records.get(focus) if isinstance(focus, URIRef) else None
    if not stated:
        return "", ""
    return "; ".join(sorted({str(r.file) for r in stated})), "; ".join(r.where for r in stated)


def _shacl(data: Graph, shapes: Graph, records) -> list[Violation]:
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        do_owl_imports=False,
    )
    if conforms:
        return []
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        severity = report.value(result, SH.resultSeverity)
        file, fact = _where(records, focus)
        out.append(Violation(
            file=file, fact=fact, focus=str(focus), path=_short(data, path),
            message=str(message) if message else "does not conform", severity=_short(data, severity),
        ))
    return sorted(out, key=lambda v: (v.file, v.fact, v.path, v.message))


def _qc(data: Graph, records, store: ox.Store | None) -> list[Violation]:
    if store is None:
        store = ox.Store()
        store.bulk_extend(to_ox_quads(data))
    out = []
    for name, query in qc_queries().items():
        for row in store.query(sparql_prologue() + query, use_default_graph_as_union=True):
            focus = URIRef(row["focus"].value)
            file, fact = _where(records, focus)
            out.append(Violation(file=file, fact=fact, focus=str(focus), path=name.removesuffix("-violation.rq"),
                                 message=row["message"].value))
    return sorted(out, key=lambda v: (v.file, v.fact, v.path, v.message))


def _short(graph: Graph, term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # noqa: BLE001 - a name that cannot be shortened is shown whole
            return str(term)
    return str(term)
