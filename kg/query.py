"""Running SPARQL on the store: the named competency questions (`queries/*.rq`) and ad-hoc queries.

Values go in as bindings, a VALUES block of escaped terms (`kg.sparql_text.bind_values`), never by string
formatting.
"""

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .rq import query_files
from .sparql_text import bind_values
from .vocab import PREFIXES


@dataclass(frozen=True)
class Question:
    name: str
    title: str  # the first comment line of the file
    text: str


def questions() -> dict[str, Question]:
    """The competency questions shipped with the package, by name (file name without `.rq`).

    >>> questions()["decisions-by-product"].title != ""
    True
    """
    out = {}
    for name, text in query_files("kg", "queries").items():
        first = next((ln for ln in text.splitlines() if ln.startswith("#")), "# ")
        out[name] = Question(name, first.lstrip("# ").strip(), text)
    return out


def resolve(query_or_path: str) -> str:
    """A competency question's name, a `.rq` file, or SPARQL text: returns the SPARQL text."""
    named = questions()
    if query_or_path in named:
        return named[query_or_path].text
    if query_or_path.endswith(".rq") and Path(query_or_path).is_file():
        return Path(query_or_path).read_text(encoding="utf-8")
    return query_or_path


def term(value: str) -> ox.NamedNode | ox.Literal:
    """A binding given on the command line: `<iri>`, `prefix:name`, an http(s) IRI, or a plain literal."""
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if value.startswith(("http://", "https://")):
        return ox.NamedNode(value)
    prefix, _, local = value.partition(":")
    if local and prefix in PREFIXES and " " not in value:
        return ox.NamedNode(PREFIXES[prefix] + local)
    return ox.Literal(value)


def run(store: ox.Store, sparql: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None):
    """Run a query on the default graph, which the build fills with the union of all sources' graphs (as a
    set); the project's prefixes are predeclared."""
    return store.query(bind_values(sparql, bindings or {}), prefixes=PREFIXES)


def rows(store: ox.Store, sparql: str, bindings=None) -> list[dict[str, object]]:
    """A SELECT's solutions as dicts of plain Python values (IRIs and lexical forms as str)."""
    solutions = run(store, sparql, bindings)
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]
