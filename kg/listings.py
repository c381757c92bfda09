"""The lists the API pages through without a filter (products, authorities, applications): each computed once
per build, in the API's order, into an SQLite file next to the store, so that any page of them is an index
lookup rather than a query that reads, sorts and counts the whole list.

Each list is the answer of its query in `kg/store_queries/` (the queries the API runs for one item or over a
remote SPARQL server), cut into items as `api.jobs.Page` cuts an answer: an item is a run of consecutive rows
with the same key (a product listed twice when it has two labels is two runs). An item is stored with its
rows, its sort key (the list's order, as text) and its IRI, so that a page starts at an offset or after an
item (keyset paging). After a change, a build updates the previous build's file (`update`): only the items
of the resources the change touched are written again.

>>> import pyoxigraph as ox, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
>>> write(ox.Store(), path)
{'products': 0, 'authorities': 0, 'applications': 0}
>>> page(path, "products", offset=0, limit=10)
[]
"""

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from .rq import read_query
from .sparql_text import bind_rows
from .sqlite_files import create, open_read_only, open_to_update
from .vocab import CTKG, PREFIXES

FILE = "lists.sqlite"
SCHEMA = 2  # the file's layout (`kg.sqlite_files`): an incremental build updates only a file of this layout
SEP = "\x01"  # between the parts of a sort key: below every character a label or an IRI may hold

Row = dict[str, str]


def _text(value: str | None) -> str:
    """A value's place in a SPARQL ORDER BY of LCASE(STR(value)): unbound first, then by code point (which
    SQLite's byte order of UTF-8 keeps; LCASE as Python's lower())."""
    return "0" if value is None else "1" + value.lower()


def by_label(key: str) -> Callable[[Row], str]:
    """`ORDER BY LCASE(STR(?label)) ?<key>`."""
    return lambda row: _text(row.get("label")) + SEP + row[key]


def application_order(row: Row) -> str:
    """`ORDER BY LCASE(STR(?productLabel)) (!BOUND(?decisionDate)) ?date ?application`, as in
    `api/queries/applications.rq`."""
    date = row.get("decisionDate")
    return _text(row.get("productLabel")) + SEP + ("1" if date is None else "0" + date) + SEP + row["application"]


def _linking(store: ox.Store, predicate: URIRef, targets: Iterable[ox.NamedNode]) -> set[ox.NamedNode]:
    """The subjects with a `predicate` statement on one of `targets`, in the default graph."""
    return {q.subject for target in targets
            for q in store.quads_for_pattern(None, ox.NamedNode(predicate), target, ox.DefaultGraph())}


def authority_dependents(store: ox.Store, changed: set[ox.NamedNode]) -> set[ox.NamedNode]:
    """The authorities whose row reads a changed node besides their own and their memberships' (whose change
    touches the authority itself): the label of their jurisdiction."""
    return _linking(store, CTKG.jurisdiction, changed)


def application_dependents(store: ox.Store, changed: set[ox.NamedNode]) -> set[ox.NamedNode]:
    """The applications whose row reads a changed node besides their own: the label of their product or of their
    regulator, the regulator's jurisdiction and its label."""
    regulators = changed | _linking(store, CTKG.jurisdiction, changed)
    return _linking(store, CTKG.product, changed) | _linking(store, CTKG.regulator, regulators)


@dataclass(frozen=True)
class Listing:
    key: str  # the variable that names an item
    order: Callable[[Row], str]  # the item's sort key, as text: the list's order is the keys' byte order
    flag: str | None = None  # a boolean variable a client may filter the list on
    # The items whose rows read a changed node besides their own triples (a label, a link): an incremental
    # build writes them again too. Pattern lookups: a query of their union, bound to the changed nodes, took
    # seconds where the lookups take milliseconds.
    dependents: Callable[[ox.Store, set[ox.NamedNode]], set[ox.NamedNode]] | None = None


LISTS = {
    "products": Listing("product", by_label("product")),
    "authorities": Listing("authority", by_label("authority"), flag="isPicsMember", dependents=authority_dependents),
    "applications": Listing("application", application_order, dependents=application_dependents),
}


def rows(store: ox.Store, name: str, only: Iterable[str] | None = None) -> list[Row]:
    """The rows of the list `name` on `store` (of the items `only` names, if given), each variable's value as
    text (serialized by pyoxigraph, in Rust, rather than row by row)."""
    text = read_query("kg", "store_queries", name)
    if only is not None:
        text = bind_rows(text, LISTS[name].key, (ox.NamedNode(iri) for iri in sorted(only)))
    answer = store.query(text, prefixes=PREFIXES)
    bindings = json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]
    return [{var: term["value"] for var, term in binding.items()} for binding in bindings]


def items(found: list[Row], key: str) -> list[list[Row]]:
    """The runs of consecutive rows with the same `key`."""
    runs: list[list[Row]] = []
    for row in found:
        if runs and runs[-1][0].get(key) == row.get(key):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _sorted_items(found: list[Row], listing: Listing) -> list[tuple[str, list[Row]]]:
    """The items of `found` with their sort keys, in order: rows with the same key are one item (in the
    list's order they are consecutive rows of the same resource)."""
    by_key: dict[str, list[Row]] = {}
    for row in found:
        by_key.setdefault(listing.order(row), []).append(row)
    return sorted(by_key.items())


def _insert(db: sqlite3.Connection, name: str, listing: Listing, found: list[Row]) -> None:
    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", (
        (name, key, run[0][listing.key], _flag(run[0], listing), json.dumps(run, ensure_ascii=False))
        for key, run in _sorted_items(found, listing)))


def _count(db: sqlite3.Connection, name: str) -> int:
    return db.execute("SELECT COUNT(*) FROM items WHERE list = ?", (name,)).fetchone()[0]


def write(store: ox.Store, path: Path) -> dict[str, int]:
    """Write every list of `store` to `path` (a new file); returns how many items each has."""
    db = create(path, SCHEMA)
    try:
        db.executescript("""
            CREATE TABLE items (list TEXT NOT NULL, sort TEXT NOT NULL, iri TEXT NOT NULL, flag INTEGER,
                                rows TEXT NOT NULL);
        """)
        for name, listing in LISTS.items():
            _insert(db, name, listing, rows(store, name))
        db.executescript("""
            CREATE UNIQUE INDEX items_in_order ON items (list, sort);
            CREATE INDEX items_by_iri ON items (list, iri);
            CREATE INDEX items_by_flag ON items (list, flag, sort);
        """)
        db.commit()
        return {name: _count(db, name) for name in LISTS}
    finally:
        db.close()


def update(store: ox.Store, path: Path, touched: set[str], changed: set[str]) -> dict[str, int]:
    """Bring the lists at `path` (a copy of the previous build's) in step with `store`, after a change whose
    triples have their subject or object among `touched`, and whose changed subjects are `changed`: every
    item of those resources, and of the resources whose rows read one of `changed`, is written again.
    Returns how many items each list has; `kg.sqlite_files.StaleFile` when `path` is of another layout."""
    changed_nodes = {ox.NamedNode(iri) for iri in changed}
    db = open_to_update(path, SCHEMA)
    try:
        for name, listing in LISTS.items():
            redo = set(touched)
            if listing.dependents is not None:
                redo.update(n.value for n in listing.dependents(store, changed_nodes))
            db.executemany("DELETE FROM items WHERE list = ? AND iri = ?", ((name, iri) for iri in redo))
            _insert(db, name, listing, rows(store, name, only=redo))
        db.commit()
        return {name: _count(db, name) for name in LISTS}
    finally:
        db.close()


def _flag(row: Row, listing: Listing) -> int | None:
    return None if listing.flag is None else int(row.get(listing.flag) == "true")


class NotListed(LookupError):
    """A page asked to start after an item that the list does not have."""


def page(path: Path, name: str, offset: int, limit: int, after: str | None = None,
         flag: bool | None = None) -> list[Row]:
    """The rows of `limit` items of the list `name`: after skipping `offset` items, or `offset` items after the
    item whose key is the IRI `after` (NotListed if there is none); only those whose flag is `flag`, if given."""
    db = open_read_only(path, "lists")
    try:
        where, values = "list = :list", {"list": name, "offset": offset, "limit": limit}
        if flag is not None:
            where, values["flag"] = where + " AND flag = :flag", int(flag)
        if after is not None:
            start = db.execute(f"SELECT MIN(sort) FROM items WHERE {where} AND iri = :after",
                               {**values, "after": after}).fetchone()[0]
            if start is None:
                raise NotListed(after)
            where += " AND sort > :start"
            values["start"] = start
        # The offset is skipped in an index of the sort keys alone, then the page read from its first key.
        first = db.execute(f"SELECT sort FROM items WHERE {where} ORDER BY sort LIMIT 1 OFFSET :offset",
                           values).fetchone()
        if first is None:
            return []
        values["first"] = first[0]
        query = f"SELECT rows FROM items WHERE {where} AND sort >= :first ORDER BY sort LIMIT :limit"
        return [row for (run,) in db.execute(query, values) for row in json.loads(run)]
    finally:
        db.close()


def count(path: Path, name: str, flag: bool) -> int:
    """How many items of the list `name` have the flag `flag` (the manifest has the whole lists' counts)."""
    db = open_read_only(path, "lists")
    try:
        return db.execute("SELECT COUNT(*) FROM items WHERE list = ? AND flag = ?", (name, int(flag))).fetchone()[0]
    finally:
        db.close()
