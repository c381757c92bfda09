"""The one validation result type: findings of the SHACL engines and the quality checks, each traced to the
facts file and the fact that stated its focus node."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


class Finding(NamedTuple):
    """A violation before it is traced to its facts file; plain strings, so it can be cached as JSON."""

    focus: str
    path: str
    message: str
    severity: str


@dataclass(frozen=True)
class Violation:
    file: str
    fact: str
    focus: str
    path: str
    message: str
    severity: str = "Violation"

    def line(self) -> str:
        """One line of the report.

        >>> Violation("data/a.yaml", "products[0] (x)", "id:product/x", "rdfs:label", "needs a label").line()
        'data/a.yaml, products[0] (x): id:product/x [rdfs:label]: needs a label'
        """
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


Locate = Callable[[str], tuple[str, str]]  # focus node -> (facts file(s), fact(s)) that state it


def result_of(shacl: Iterable[Finding], qc: Iterable[Finding], locate: Locate) -> ValidationResult:
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
