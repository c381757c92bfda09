"""The REST routes' access to the graph: the API's own queries, run by the worker pool with bound values.

A row is a dict from variable name to the value's text (an IRI, or a literal's lexical form); unbound
variables are absent. `Lookups.rows` never formats a value into a query.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyoxigraph as ox

from kg.vocab import ID

from .workers import Page, QueryJob, WorkerPool

Row = dict[str, str]
XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")


@dataclass(frozen=True)
class Rows:
    rows: list[Row]
    total: int | None  # the number of items in the whole answer, when a page was asked for
    terms: list[dict[str, dict]]  # the same rows as SPARQL JSON terms ({"type": "uri", "value": ...})
    build: str | None = None  # the directory of the build that answered


@cache
def sparql(name: str) -> str:
    """The text of `api/queries/<name>.rq` (one query per file); read on first use, never at import."""
    return (resources.files("api") / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def query_names() -> list[str]:
    return sorted(e.name[:-3] for e in (resources.files("api") / "queries").iterdir() if e.name.endswith(".rq"))


def one_per_item(rows: list[Row], key: str) -> list[Row]:
    """The first row of each item: a list query may give more than one row per item when a field that
    should have one value has several."""
    return list({row[key]: row for row in reversed(rows)}.values())[::-1]


def entity(kind: str, slug: str) -> ox.NamedNode:
    """The IRI of an instance: https://w3id.org/ctkg/id/{kind}/{slug}."""
    return ox.NamedNode(f"{ID}{kind}/{slug}")


def boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=XSD_BOOLEAN)


def decision_period(start: str | None, end: str | None) -> dict[str, ox.Literal]:
    """The bindings of `applications.rq` for a range of decision dates, each YYYY, YYYY-MM or YYYY-MM-DD
    or None for an open end. A partial date stands for its whole period: `from=2023-06` starts at
    2023-06-00 and `to=2023-06` ends at 2023-06-99, so a decision dated 2023-06 is kept by both, and one
    dated 2023-06-15 by `from=2023-06` too. Undated applications are kept only when neither end is given."""
    return {
        "from": ox.Literal(start + "0000-00-00"[len(start):] if start else "0000-00-00"),
        "to": ox.Literal(end + "9999-99-99"[len(end):] if end else "9999-99-99"),
        "undated": boolean(start is None and end is None),
    }


class Lookups:
    def __init__(self, pool: WorkerPool):
        self.pool = pool

    async def rows(self, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
                   page: Page | None = None) -> Rows:
        """Run `api/queries/<query>.rq` with these bindings; raises the `api.errors` the pool raises."""
        job = QueryJob(sparql(query), {"solutions": "json"}, dict(bindings or {}), trusted=True, page=page)
        answer = await self.pool.run(job)
        terms = json.loads(answer.body)["results"]["bindings"]
        rows = [{name: term["value"] for name, term in binding.items()} for binding in terms]
        return Rows(rows, answer.total, terms, answer.build)

    async def graph(self, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal], fmt: str) -> tuple[bytes, int]:
        """Run a CONSTRUCT of `api/queries`; returns the serialized triples and how many there are."""
        job = QueryJob(sparql(query), {"graph": fmt}, dict(bindings), trusted=True)
        answer = await self.pool.run(job)
        return answer.body, answer.count
