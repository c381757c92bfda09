"""The REST routes' access to the graph: the API's own queries, run by the worker pool with bound values.

A row is a dict from variable name to the value's text (an IRI, or a literal's lexical form); unbound
variables are absent. `Lookups.rows` never formats a value into a query.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import XSD

from kg.errors import StoreError
from kg.rq import read_query
from kg.store import StoreLayout, read_manifest
from kg.vocab import DATASET, ID, ONTOLOGY_IRI

from .errors import StoreUnavailable
from .jobs import Page, QueryJob
from .pool import WorkerPool
from .settings import Settings

log = logging.getLogger("ctkg.api")

Row = dict[str, str]
XSD_BOOLEAN = ox.NamedNode(str(XSD.boolean))


@dataclass(frozen=True)
class Rows:
    rows: list[Row]
    total: int | None  # the number of items in the whole answer, when a page was asked for
    terms: list[dict[str, dict]]  # the same rows as SPARQL JSON terms ({"type": "uri", "value": ...})
    build: str | None = None  # the directory of the build that answered


@cache
def sparql(name: str) -> str:
    """The text of `api/queries/<name>.rq` (one query per file); read on first use, never at import."""
    return read_query("api", "queries", name)


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


def local_manifest(settings: Settings, build: str | None = None) -> tuple[str, dict]:
    """The name and manifest of a build of the embedded store (the current one unless `build`, a build
    directory, is given); StoreUnavailable when there is none."""
    try:
        path = Path(build) if build else StoreLayout(settings.store_dir).current_build()
        return path.name, read_manifest(path)
    except (StoreError, OSError, ValueError) as exc:
        log.debug("the graph is not available: %s", exc)  # with its path: for the operator, not the client
        raise StoreUnavailable() from None


class Lookups:
    def __init__(self, pool: WorkerPool, settings: Settings):
        self.pool = pool
        self.settings = settings

    @property
    def remote(self) -> bool:
        """Whether the graph is on a remote SPARQL server (CTKG_SPARQL_ENDPOINT) rather than the embedded store."""
        return bool(self.settings.sparql_endpoint)

    async def manifest(self, build: str | None = None, timeout: float | None = None) -> tuple[str, dict]:
        """The name and manifest (triples, quads, sources, built_at) of the build being served: the embedded
        store's (or of the build directory `build`), or the dataset record `ctkg push` left on the remote
        server. StoreUnavailable when there is none."""
        if not self.remote:
            return local_manifest(self.settings, build)
        rows = (await self.rows("build-record", {"record": ox.NamedNode(str(DATASET))}, timeout=timeout)).rows
        if not rows:
            raise StoreUnavailable("No graph has been pushed to the SPARQL server yet: run `ctkg push`.")
        graphs = {row["graph"]: int(row["graphTriples"]) for row in rows if "graph" in row}
        return rows[0]["build"], {
            "built_at": rows[0]["builtAt"], "triples": int(rows[0]["triples"]),
            "quads": int(rows[0]["triples"]) + sum(graphs.values()),
            "sources": sorted(g for g in graphs if g != str(ONTOLOGY_IRI)),
        }

    async def rows(self, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
                   page: Page | None = None, timeout: float | None = None) -> Rows:
        """Run `api/queries/<query>.rq` with these bindings (within `timeout` seconds, by default the query
        time limit); raises the `api.errors` the pool raises."""
        job = QueryJob(sparql(query), {"solutions": "json"}, dict(bindings or {}), trusted=True, page=page)
        answer = await self.pool.run(job, timeout)
        terms = json.loads(answer.body)["results"]["bindings"]
        rows = [{name: term["value"] for name, term in binding.items()} for binding in terms]
        return Rows(rows, answer.total, terms, answer.build)

    async def graph(self, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal], fmt: str) -> tuple[bytes, int]:
        """Run a CONSTRUCT of `api/queries`; returns the serialized triples and how many there are."""
        job = QueryJob(sparql(query), {"graph": fmt}, dict(bindings), trusted=True)
        answer = await self.pool.run(job)
        return answer.body, answer.count
