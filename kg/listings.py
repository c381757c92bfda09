"""The lists the API pages through without a filter (products, authorities, applications): each computed once
per build, in the API's order, into an SQLite file next to the store, so that any page of them is an index
lookup rather than a query that reads, sorts and counts the whole list.

Each list is the answer of its query in `kg/store_queries/` (the queries the API runs for one item or over a
remote SPARQL server), cut into items as `api.jobs.Page` cuts an answer: an item is a run of consecutive rows
with the same key (a product listed twice when it has two labels is two runs). An item is stored with its
rows, its position and its IRI, so that a page starts at an offset or after an item (keyset paging).

>>> import pyoxigraph as ox, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
>>> write(ox.Store(), path)
{'products': 0, 'authorities': 0, 'applications': 0}
>>> page(path, "products", offset=0, limit=10)
[]
"""

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .rq import read_query
from .vocab import PREFIXES

FILE = "lists.sqlite"


Row = dict[str, str]


def _text_key(value: str | None) -> tuple:
    """A value's place in a SPARQL ORDER BY: unbound first, then strings by code point."""
    return (0, "") if value is None else (1, value)


def application_order(row: Row) -> tuple:
    """`ORDER BY LCASE(STR(?productLabel)) (!BOUND(?decisionDate)) ?date ?application`, as in
    `api/queries/applications.rq` (LCASE as Python's lower())."""
    label = row.get("productLabel")
    return (_text_key(None if label is None else label.lower()), "decisionDate" not in row,
            _text_key(row.get("decisionDate")), row["application"])


@dataclass(frozen=True)
class Listing:
    key: str  # the variable that names an item
    flag: str | None = None  # a boolean variable a client may filter the list on
    order: Callable[[Row], tuple] | None = None  # the sort, when the query leaves it to Python


LISTS = {
    "products": Listing("product"),
    "authorities": Listing("authority", flag="isPicsMember"),
    "applications": Listing("application", order=application_order),
}


def rows(store: ox.Store, name: str) -> list[Row]:
    """The rows of the list `name` on `store`, each variable's value as text (serialized by pyoxigraph, in
    Rust, rather than row by row)."""
    answer = store.query(read_query("kg", "store_queries", name), prefixes=PREFIXES)
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


def write(store: ox.Store, path: Path) -> dict[str, int]:
    """Write every list of `store` to `path` (a new file); returns how many items each has."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    counts = {}
    try:
        db.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE items (list TEXT NOT NULL, position INTEGER NOT NULL, iri TEXT NOT NULL, flag INTEGER,
                                rows TEXT NOT NULL, PRIMARY KEY (list, position)) WITHOUT ROWID;
        """)
        for name, listing in LISTS.items():
            found = rows(store, name)
            if listing.order is not None:
                found.sort(key=listing.order)
            runs = items(found, listing.key)
            db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", (
                (name, position, run[0][listing.key], _flag(run[0], listing), json.dumps(run, ensure_ascii=False))
                for position, run in enumerate(runs)))
            counts[name] = len(runs)
        db.executescript("""
            CREATE INDEX items_by_iri ON items (list, iri);
            CREATE INDEX items_by_flag ON items (list, flag, position);
        """)
        db.commit()
    finally:
        db.close()
    return counts


def _flag(row: Row, listing: Listing) -> int | None:
    return None if listing.flag is None else int(row.get(listing.flag) == "true")


class NotListed(LookupError):
    """A page asked to start after an item that the list does not have."""


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"no lists at {path}")
    # `immutable`: a published build's lists never change, so SQLite takes no lock.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def page(path: Path, name: str, offset: int, limit: int, after: str | None = None,
         flag: bool | None = None) -> list[Row]:
    """The rows of `limit` items of the list `name`: after skipping `offset` items, or `offset` items after the
    item whose key is the IRI `after` (NotListed if there is none); only those whose flag is `flag`, if given."""
    db = _open(path)
    try:
        where, values = "list = :list", {"list": name, "offset": offset, "limit": limit}
        if flag is not None:
            where, values["flag"] = where + " AND flag = :flag", int(flag)
        if after is not None:
            position = db.execute(f"SELECT MIN(position) FROM items WHERE {where} AND iri = :after",
                                  {**values, "after": after}).fetchone()[0]
            if position is None:
                raise NotListed(after)
            where += " AND position > :position"
            values["position"] = position
        if flag is None and after is None:  # positions run from 0 without a gap: the offset is a position
            query = f"SELECT rows FROM items WHERE {where} AND position >= :offset ORDER BY position LIMIT :limit"
        else:
            query = f"SELECT rows FROM items WHERE {where} ORDER BY position LIMIT :limit OFFSET :offset"
        return [row for (run,) in db.execute(query, values) for row in json.loads(run)]
    finally:
        db.close()


def count(path: Path, name: str, flag: bool) -> int:
    """How many items of the list `name` have the flag `flag` (the manifest has the whole lists' counts)."""
    db = _open(path)
    try:
        return db.execute("SELECT COUNT(*) FROM items WHERE list = ? AND flag = ?", (name, int(flag))).fetchone()[0]
    finally:
        db.close()
