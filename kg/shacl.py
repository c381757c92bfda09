"""The SHACL engines: what pySHACL or pyshacl-turbo finds in a graph checked against the project's shapes.

Two engines with the same API and, on everything the tests compare, the same findings:
- pySHACL, the reference engine in Python; `ctkg validate` always uses it;
- pyshacl-turbo, a SHACL engine in Rust with pySHACL's API: the build's engine by default
  (`CTKG_SHACL_ENGINE`). It reads XSD dates more strictly than rdflib does, which no facts file can reach
  (`kg.facts.date` accepts ASCII digits in the XSD forms only).
`tests/kg/test_shacl.py` compares the two finding for finding.
"""

from pathlib import Path

import pyshacl
import pyshacl_turbo
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from .findings import Finding
from .vocab import REPORT_PREFIXES, prefixed

ENGINES = {"pyshacl-turbo": pyshacl_turbo.validate, "pyshacl": pyshacl.validate}
REFERENCE_ENGINE = "pyshacl"
BUILD_ENGINE = "pyshacl-turbo"


def load_shapes(shapes_dir: Path) -> Graph:
    """The project's own shapes, parsed from local files only (nothing is fetched)."""
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def term_name(term) -> str:
    """A term as reports show it: an IRI as a prefixed name where the table has one, nothing for None.

    >>> term_name(SH.Violation), term_name(None)
    ('sh:Violation', '')
    """
    if term is None:
        return ""
    return prefixed(str(term), prefixes=REPORT_PREFIXES) if isinstance(term, URIRef) else str(term)


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
            focus=str(report.value(result, SH.focusNode)), path=term_name(report.value(result, SH.resultPath)),
            message=str(message) if message else "does not conform",
            severity=term_name(report.value(result, SH.resultSeverity)),
        ))
    return out
