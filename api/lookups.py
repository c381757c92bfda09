"""The REST routes' access to the graph: the API's own queries, run by the worker pool with bound values, and
what the build derived beside the store (the search index, the lists, the counts in the manifest).

A row is a dict from variable name to the value's text (an IRI, or a literal's lexical form); unbound
variables are absent. `Lookups.rows` never formats a value into a query.

The files beside the store are SQLite, read-only, in a thread of the server process, within the query time
limit: a search or a page is a few index lookups (SQLite releases the GIL while it reads), and sending it to a
worker would cost the hand-off to the worker and back.
"""

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import XSD

from kg import listings, search_index
from kg.errors import StoreError
from kg.rq import read_query
from kg.sparql_text import bind_rows
from kg.store import StoreLayout, read_manifest
from kg.vocab import DATASET, ID, ONTOLOGY_IRI

from .engine import NOT_LISTED
from .errors import NotFound, QueryTimeout, StoreUnavailable
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
    """The text of `api/queries/<name>.rq` (one query per file), or of `kg/store_queries/<name>.rq` for what the
    build also computes (the lists, the counts per class); read on first use, never at import."""
    try:
        return read_query("api", "queries", name)
    except FileNotFoundError:
        return read_query("kg", "store_queries", name)


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
                   page: Page | None = None, timeout: float | None = None,
                   each: tuple[str, Sequence[ox.NamedNode | ox.Literal]] | None = None) -> Rows:
        """Run `api/queries/<query>.rq` with these bindings (within `timeout` seconds, by default the query
        time limit); with `each`, (a variable, its values), the union of its answers for each value (none for
        no value: `kg.sparql_text.bind_rows`). Raises the `api.errors` the pool raises."""
        text = sparql(query) if each is None else bind_rows(sparql(query), *each)
        job = QueryJob(text, {"solutions": "json"}, dict(bindings or {}), trusted=True, page=page)
        answer = await self.pool.run(job, timeout)
        terms = json.loads(answer.body)["results"]["bindings"]
        rows = [{name: term["value"] for name, term in binding.items()} for binding in terms]
        return Rows(rows, answer.total, terms, answer.build)

    def _build_dir(self) -> Path | None:
        """The directory of the build being served, or None over a remote SPARQL server (no files beside it)."""
        if self.remote:
            return None
        try:
            return StoreLayout(self.settings.store_dir).current_build()
        except StoreError as exc:
            log.debug("the graph is not available: %s", exc)
            raise StoreUnavailable() from None

    async def _beside(self, read, *args):
        """`read(*args, deadline=...)` in a thread, within the query time limit."""
        deadline = time.monotonic() + self.settings.query_timeout_s
        try:
            return await asyncio.to_thread(read, *args, deadline=deadline)
        except search_index.SearchTimeout:
            raise QueryTimeout(f"The search ran past the time limit ({self.settings.query_timeout_s:g} s) and was "
                               "stopped. Give a longer text.") from None

    async def search_names(self, text: str, page: Page) -> Rows | None:
        """The answer of `search-contains.rq` for `text`, from the build's search index (`kg.search_index`);
        None when there is none (a remote SPARQL server, or a build made before there was one)."""
        build = self._build_dir()
        path = build / search_index.FILE if build else None
        if path is None or not path.is_file():
            return None
        rows, total = await self._beside(search_index.search, path, text, page.offset, page.limit)
        return Rows(rows, total, [], str(build))

    async def listing(self, name: str, page: Page, flag: bool | None = None) -> Rows | None:
        """A page of the list `name` (`kg.listings`) as the build wrote it, its total from the manifest (or,
        with `flag`, counted); None when the build has no lists (a remote SPARQL server, or an older build)."""
        build = self._build_dir()
        path = build / listings.FILE if build else None
        if path is None or not path.is_file():
            return None
        _, manifest = local_manifest(self.settings, str(build))
        if "lists" not in manifest:
            return None
        try:
            rows, total = await self._beside(_page_of_list, path, name, page, flag, manifest["lists"][name])
        except listings.NotListed:
            raise NotFound(NOT_LISTED) from None
        return Rows(rows, total, [], str(build))

    async def graph(self, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal], fmt: str) -> tuple[bytes, int]:
        """Run a CONSTRUCT of `api/queries`; returns the serialized triples and how many there are."""
        job = QueryJob(sparql(query), {"graph": fmt}, dict(bindings), trusted=True)
        answer = await self.pool.run(job)
        return answer.body, answer.count


def _page_of_list(path: Path, name: str, page: Page, flag: bool | None, total: int,
                  deadline: float) -> tuple[list[Row], int]:
    rows = listings.page(path, name, page.offset, page.limit, after=page.after, flag=flag)
    return rows, total if flag is None else listings.count(path, name, flag)
