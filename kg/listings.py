"""The lists the API pages through without a filter (products, authorities, applications): each computed once
per build, in the API's order, into an SQLite file next to the store, so that any page of them is an index
lookup rather than a query that reads, sorts and counts the whole list.

Each list is the answer of its query in `kg/store_queries/` (the queries the API runs for one item or over a
remote SPARQL server), cut into items as `api.jobs.Page` cuts an answer: an item is a run of consecutive rows
with the same key (a product listed twice when it has two labels is two runs). An item is stored with its
rows, its sort key (the list's order, as text) and its IRI, so that a page starts at an offset or after an
item (keyset paging). After a change, a build updates the previous build's file (`update`): only the items
of the resources the change touched are written again.

A full build (`write`) does not run the queries of the long lists (products, applications): pyoxigraph
evaluates their joins and OPTIONALs with an index lookup for each row and binding, in a time that grows faster
than the graph. It runs instead queries whose patterns are subqueries of their own, which pyoxigraph reads once
each and joins by hashing (`products-whole.rq`, `application-links.rq`), and pattern scans (`statements.rq`),
all serialized by pyoxigraph as TSV, in Rust and without the GIL (so beside the build's checks); what is left of
`applications.rq` (the labels, the jurisdictions, the one decision date) is joined in Python
(`application_rows`). The rows are the query's: the same multiset, multi-valued properties as a cross product,
terms told apart as DISTINCT and GROUP BY tell them (by their text in a TSV answer), unbound values left out of
a row. `update` and the API still run the lists' queries, for a few items; tests/kg/test_listings.py holds both
to the same rows. An item's rows are stored in a fixed order (`in_order`), whichever way they were read.

>>> import pyoxigraph as ox, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
>>> write(ox.Store(), path)
{'products': 0, 'authorities': 0, 'applications': 0}
>>> page(path, "products", offset=0, limit=10)
[]
"""

import functools
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDFS, XSD

from .rq import read_query
from .sparql_text import bind_rows, bind_values
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
    # The whole list's rows for `write`, in groups that hold each item's rows together; None: its query's answer.
    whole: Callable[[ox.Store], Iterable[list[Row]]] | None = None


# --- the whole lists, for `write` (see the module's docstring) -----------------------------------------------

Cell = str  # a term as a TSV answer writes it: one text per term, so that the texts tell terms apart
_ESCAPED = re.compile(r"\\(.)")
_UNESCAPED = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def term_value(cell: Cell) -> str:
    r"""The value of the term a TSV cell writes, as a query's JSON answer gives it: an IRI, a blank node's id, a
    literal's text (which the cell writes quoted and escaped, or bare for a number or a boolean).

    >>> [term_value(c) for c in ('<https://example.org/a>', '_:b0', '"say \\"hi\\"\\tthen"@en', '"2023"^^<x:y>', '12')]
    ['https://example.org/a', 'b0', 'say "hi"\tthen', '2023', '12']
    """
    if cell[0] == "<":
        return cell[1:-1]
    if cell[0] == '"':
        text = cell[1:cell.rindex('"')]  # a language tag or a datatype IRI holds no quote
        return _ESCAPED.sub(lambda escape: _UNESCAPED[escape.group(1)], text) if "\\" in text else text
    if cell.startswith("_:"):
        return cell[2:]
    return cell


def _cells(store: ox.Store, query: str, bindings: dict[str, ox.NamedNode] | None = None) -> list[Cell]:
    """The cells of the answer of `kg/store_queries/<query>.rq` (with `bindings`), serialized by pyoxigraph as
    TSV, row after row; an unbound value is an empty cell."""
    text = bind_values(read_query("kg", "store_queries", query), bindings or {})
    answer = store.query(text, prefixes=PREFIXES).serialize(format=ox.QueryResultsFormat.TSV).decode()
    width = answer.count("\t", 0, answer.index("\n")) + 1  # the header's cells, the variables
    return answer.replace("\n", "\t").split("\t")[width:-1]  # each row ends with a newline; a cell holds none


Objects = Cell | list[Cell]  # a subject's object of a predicate, or its objects when it has several


def each(found: Objects | None) -> list[Cell] | tuple[Cell, ...]:
    """The objects `found`: none (None), one (a cell) or several (a list)."""
    return () if found is None else (found,) if isinstance(found, str) else found


def objects(store: ox.Store, predicate: URIRef) -> dict[Cell, Objects]:
    """Each subject's objects of `predicate` in the default graph (`each`); a subject without any is not a key."""
    cells = _cells(store, "statements", {"predicate": ox.NamedNode(predicate)})
    subjects, found_objects = cells[0::2], cells[1::2]
    found: dict[Cell, Objects] = dict(zip(subjects, found_objects, strict=True))  # one object a subject, mostly
    if len(found) < len(subjects):
        several = {subject for subject, n in Counter(subjects).items() if n > 1}
        found.update((subject, []) for subject in several)
        for subject, obj in zip(subjects, found_objects, strict=True):
            if subject in several:
                found[subject].append(obj)
    return found


def _optional(found: Objects | None) -> list[str | None]:
    """The values an OPTIONAL binds: each object's, or unbound when there is none."""
    return [term_value(obj) for obj in each(found)] or [None]


def _row(variables: tuple[str, ...], values: tuple[str | None, ...]) -> Row:
    """The row of `values`, an unbound value (None) left out."""
    if None in values:
        return {name: found for name, found in zip(variables, values, strict=True) if found is not None}
    return dict(zip(variables, values, strict=True))


def product_rows(store: ox.Store) -> list[list[Row]]:
    """The rows of `products.rq`, from `products-whole.rq` (the same rows; see there why), as one group."""
    return [rows(store, "products-whole")]


_PLAIN_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
_DATE_TYPES = {10: ox.NamedNode(str(XSD.date)), 7: ox.NamedNode(str(XSD.gYearMonth))}
_GYEAR = ox.NamedNode(str(XSD.gYear))


def _as_date(text: str) -> str:
    """`STRDT(text, <xsd:date, gYearMonth or gYear by its length>)`'s lexical form: `text` when it is digits written
    YYYY, YYYY-MM or YYYY-MM-DD (well formed, it is already canonical; ill formed, it is kept); another text as
    pyoxigraph writes it once it has read it as that datatype."""
    if _PLAIN_DATE.fullmatch(text):
        return text
    literal = ox.Literal(text, datatype=_DATE_TYPES.get(len(text), _GYEAR))
    scratch = ox.Store()
    scratch.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), literal))
    return next(iter(scratch)).object.value


def decision_dates(cells: list[Cell]) -> list[str | None]:
    """The values `applications.rq` binds ?decisionDate to for an application with the decision dates `cells`:
    the longest text, then the least (the texts of several terms may be that one: one value); unbound when there
    is none, and also when one is a blank node (whose STR is an error, so no date is better than it)."""
    texts = [term_value(cell) for cell in cells if not cell.startswith("_:")]
    dates: list[str | None] = [_as_date(min(texts, key=lambda text: (-len(text), text)))] if texts else []
    if len(texts) < len(cells) or not cells:
        dates.append(None)
    return dates


APPLICATION_VARIABLES = ("application", "product", "productLabel", "regulator", "regulatorLabel", "jurisdiction",
                         "jurisdictionLabel", "status", "decisionDate", "applicationType")


def application_rows(store: ox.Store) -> Iterator[list[Row]]:
    """The rows of `applications.rq`, an application's at a time: a row for each of its links
    (`application-links.rq`: product, regulator, status, type), with the product's labels, the regulator's
    labels and jurisdictions and theirs (OPTIONAL) and the decision date (`decision_dates`) of all its links."""
    labels, jurisdictions = objects(store, RDFS.label), objects(store, CTKG.jurisdiction)
    cells = _cells(store, "application-links")
    links_of: dict[Cell, list[tuple[Cell, ...]]] = {}
    for link in zip(*[iter(cells)] * 6, strict=True):
        links_of.setdefault(link[0], []).append(link)
    del cells

    # Products, regulators, statuses and types are shared by many applications: each is read once.
    @functools.cache
    def labelled(cell: Cell) -> list[tuple[str, str | None]]:
        """(value, label) for each label of a product or a jurisdiction (one unbound when it has none)."""
        return [(term_value(cell), label) for label in _optional(labels.get(cell))]

    @functools.cache
    def regulated(cell: Cell) -> list[tuple[str | None, ...]]:
        """(value, label, jurisdiction, its label) for each label and jurisdiction of a regulator."""
        return [mine + theirs for mine in labelled(cell) for jurisdiction in each(jurisdictions.get(cell))
                for theirs in labelled(jurisdiction)]

    shared = functools.cache(term_value)
    for application, links in links_of.items():
        mine, dates = term_value(application), decision_dates([link[4] for link in links if link[4]])
        distinct = dict.fromkeys((product, regulator, status, kind) for _, product, regulator, status, _, kind in links)
        yield [_row(APPLICATION_VARIABLES, (mine, *product, *regulator, shared(status), date,
                                            shared(kind) if kind else None))
               for product_cell, regulator_cell, status, kind in distinct for product in labelled(product_cell)
               for regulator in regulated(regulator_cell) for date in dates]


LISTS = {
    "products": Listing("product", by_label("product"), whole=product_rows),
    "authorities": Listing("authority", by_label("authority"), flag="isPicsMember", dependents=authority_dependents),
    "applications": Listing("application", application_order, dependents=application_dependents,
                            whole=application_rows),
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


def in_order(run: list[Row]) -> list[Row]:
    """The rows of one item in a fixed order, by their values: the list's order does not order them, and the
    list's query and `Listing.whole` give them in different orders."""
    return sorted(run, key=lambda row: sorted(row.items())) if len(run) > 1 else run


_to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # a row holds text only: no cycle


def _items(groups: Iterable[list[Row]], listing: Listing) -> list[tuple[str, str, int | None, str]]:
    """The items of the rows `groups` hold, in order: (sort key, IRI, flag, rows as JSON). Rows with the same key
    are one item (in the list's order they are consecutive rows of the same resource), and are in the same group:
    a query's answer is one group, `Listing.whole` gives a resource's rows together and the key names the
    resource."""
    found = []
    for rows in groups:
        by_key: dict[str, list[Row]] = {}
        for row in rows:
            by_key.setdefault(listing.order(row), []).append(row)
        found += [(key, run[0][listing.key], _flag(run[0], listing), _to_json(in_order(run)))
                  for key, run in by_key.items()]
    found.sort()  # by key: no two items have the same
    return found


def _insert(db: sqlite3.Connection, name: str, listing: Listing, groups: Iterable[list[Row]]) -> None:
    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", ((name, *item) for item in _items(groups, listing)))


def _count(db: sqlite3.Connection, name: str) -> int:
    return db.execute("SELECT COUNT(*) FROM items WHERE list = ?", (name,)).fetchone()[0]


def write(store: ox.Store, path: Path) -> dict[str, int]:
    """Write every list of `store` to `path` (a new file); returns how many items each has. The long lists are
    read otherwise than by their queries (`Listing.whole`; see the module's docstring why)."""
    db = create(path, SCHEMA)
    try:
        db.executescript("""
            CREATE TABLE items (list TEXT NOT NULL, sort TEXT NOT NULL, iri TEXT NOT NULL, flag INTEGER,
                                rows TEXT NOT NULL);
        """)
        for name, listing in LISTS.items():
            _insert(db, name, listing, [rows(store, name)] if listing.whole is None else listing.whole(store))
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
            _insert(db, name, listing, [rows(store, name, only=redo)])
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
