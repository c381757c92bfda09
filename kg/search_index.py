"""The search index of a build: every label and alias of the graph's resources in SQLite, with FTS5's trigram
tokenizer, so that a part of a name is found by index lookups instead of by reading every name.

The build writes it next to the store (`write`), or after a change updates a copy of the previous build's
(`update`); it is published with the build and never written again, and
the API reads it read-only (`search`). It answers what `api/queries/search-contains.rq` answers on the store:
the resources of the instance namespace with a label or an alias containing the text, ignoring case, each
with the least such name (`matched`) and a row per label; labels equal to the text (ignoring case) first,
then by label, then by IRI, a resource without a label before all.

Case is folded as SPARQL's LCASE folds it (Unicode lower case) before anything is indexed, and the trigrams
are of the folded names, case-sensitive: a text of three characters or more is then one phrase of trigrams,
an exact substring. Shorter text cannot be split into trigrams, and is looked for in every folded name.

>>> import pyoxigraph as ox, tempfile, pathlib
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("https://w3id.org/ctkg/id/product/x"),
...                   ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Fucaso")))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "search.sqlite"
>>> write(store, path)
1
>>> search(path, "CAS", offset=0, limit=10)
([{'resource': 'https://w3id.org/ctkg/id/product/x', 'label': 'Fucaso', 'matched': 'Fucaso'}], 1)
"""

import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import RDFS, SKOS

from .sqlite_files import create, open_read_only, open_to_update
from .vocab import ID

FILE = "search.sqlite"
TRIGRAM = 3  # the tokenizer's unit: shorter text has no trigram to look up
PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the deadline

Row = dict[str, str]


class SearchTimeout(Exception):
    """The search ran past its deadline and was stopped."""


def fold(text: str) -> str:
    """The case-folded text, as SPARQL's LCASE gives it (Unicode lower case, final sigma included)."""
    return text.lower()


SCHEMA = 3  # the file's layout (`kg.sqlite_files`): an incremental build updates only a file of this layout


def _names(store: ox.Store, predicate: str, subject: str | None = None):
    """(resource IRI, name) for each `predicate` statement of the default graph on an instance (`subject`)."""
    about = None if subject is None else ox.NamedNode(subject)
    for quad in store.quads_for_pattern(about, ox.NamedNode(predicate), None, ox.DefaultGraph()):
        subject_, name = quad.subject, quad.object
        if isinstance(subject_, ox.NamedNode) and subject_.value.startswith(str(ID)) \
                and isinstance(name, ox.NamedNode | ox.Literal):
            yield subject_.value, name.value


def _names_of(store: ox.Store, subject: str | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (resource, name) pairs to index, labels and aliases, and the (resource, label) pairs."""
    labels = list(_names(store, str(RDFS.label), subject))
    return sorted(set(labels) | set(_names(store, str(SKOS.altLabel), subject))), labels


def _insert(db: sqlite3.Connection, names: list[tuple[str, str]], labels: list[tuple[str, str]]) -> None:
    db.executemany("INSERT INTO names VALUES (?, ?, ?)", ((r, n, fold(n)) for r, n in names))
    db.executemany("INSERT INTO labels VALUES (?, ?, ?)", ((r, n, fold(n)) for r, n in labels))


def write(store: ox.Store, path: Path) -> int:
    """Write the index of the names in `store`'s default graph to `path` (a new file); returns how many names."""
    names, labels = _names_of(store)
    db = create(path, SCHEMA)
    try:
        db.executescript("""
            CREATE TABLE names (resource TEXT NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL);
            CREATE TABLE labels (resource TEXT NOT NULL, label TEXT NOT NULL, folded TEXT NOT NULL);
            CREATE VIRTUAL TABLE name_trigrams USING fts5(folded, content='names', content_rowid='rowid',
                                                          tokenize='trigram case_sensitive 1');
        """)
        _insert(db, names, labels)
        db.executescript("""
            INSERT INTO name_trigrams(name_trigrams) VALUES ('rebuild');
            CREATE INDEX names_by_resource ON names (resource);
            CREATE INDEX names_by_folded ON names (folded, resource);
            CREATE INDEX labels_by_resource ON labels (resource);
        """)
        db.commit()
    finally:
        db.close()
    return len(names)


def update(store: ox.Store, path: Path, subjects: set[str]) -> int:
    """Bring the index at `path` (a copy of the previous build's) in step with `store` for the names of
    `subjects`, the only resources whose names a change can have changed; returns how many names it holds.
    `kg.sqlite_files.StaleFile` when `path` is of another layout."""
    db = open_to_update(path, SCHEMA)
    try:
        for subject in sorted(subjects):
            # An external-content FTS5 table forgets a row only when told the row's old text.
            old = db.execute("SELECT rowid, folded FROM names WHERE resource = ?", (subject,)).fetchall()
            db.executemany("INSERT INTO name_trigrams(name_trigrams, rowid, folded) VALUES ('delete', ?, ?)", old)
            db.execute("DELETE FROM names WHERE resource = ?", (subject,))
            db.execute("DELETE FROM labels WHERE resource = ?", (subject,))
            names, labels = _names_of(store, subject)
            for resource, name in names:
                rowid = db.execute("INSERT INTO names VALUES (?, ?, ?)", (resource, name, fold(name))).lastrowid
                db.execute("INSERT INTO name_trigrams(rowid, folded) VALUES (?, ?)", (rowid, fold(name)))
            db.executemany("INSERT INTO labels VALUES (?, ?, ?)", ((r, n, fold(n)) for r, n in labels))
        db.commit()
        return db.execute("SELECT COUNT(*) FROM names").fetchone()[0]
    finally:
        db.close()


def collisions(path: Path, subjects: set[str] | None = None) -> list[tuple[str, list[str]]]:
    """Each name (case-folded) that several resources share, with those resources in order of IRI, sources left
    out: what `kg/qc/label-collision-violation.rq` finds, read from the index instead of every name of the
    store. With `subjects`, only the names of those resources (the names a change can have made shared)."""
    db = open_to_update(path, SCHEMA)  # a temporary table only: the file itself is not written
    try:
        which = ""
        if subjects is not None:
            db.execute("CREATE TEMP TABLE asked (resource TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO asked VALUES (?)", ((s,) for s in subjects))
            which = "AND folded IN (SELECT folded FROM names WHERE resource IN (SELECT resource FROM asked))"
        sources = f"{ID}source/"
        found = db.execute(f"""
            SELECT folded, resource FROM names
            WHERE substr(resource, 1, :length) != :sources {which}
            GROUP BY folded, resource ORDER BY folded, resource""", {"sources": sources, "length": len(sources)})
        shared: dict[str, list[str]] = {}
        for folded, resource in found:
            shared.setdefault(folded, []).append(resource)
        return [(key, members) for key, members in shared.items() if len(members) > 1]
    finally:
        db.close()


# The resources whose names contain the text, the least matching name of each, then a row per label, in the
# order of search-contains.rq. Which names are looked at: those with the text's trigrams (`{candidates}`).
_SEARCH = """
WITH hits AS (
  SELECT resource, MIN(name) AS matched FROM names
  WHERE {candidates} AND instr(folded, :text) > 0
  GROUP BY resource
)
SELECT hits.resource, labels.label, hits.matched
FROM hits LEFT JOIN labels ON labels.resource = hits.resource
ORDER BY CASE WHEN labels.folded IS NULL THEN 0 WHEN labels.folded = :text THEN 1 ELSE 2 END,
         labels.folded, hits.resource
"""
_BY_TRIGRAMS = _SEARCH.format(
    candidates="rowid IN (SELECT rowid FROM name_trigrams WHERE name_trigrams MATCH :phrase)")
_BY_SCAN = _SEARCH.format(candidates="1")


def search(path: Path, text: str, offset: int, limit: int, deadline: float | None = None) -> tuple[list[Row], int]:
    """The rows of the items `offset` to `offset + limit` of the answer, and how many items it has, an item
    being a run of rows of one resource (as `api.jobs.Page` counts them). `deadline`: a `time.monotonic()`
    past which the search stops with SearchTimeout."""
    if "\x00" in text:  # no name holds one (the build refuses control characters), and FTS5 cannot read it
        return [], 0
    db = open_read_only(path, "search index")
    try:
        if deadline is not None:
            db.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        folded = fold(text)
        if len(folded) >= TRIGRAM:
            cursor = db.execute(_BY_TRIGRAMS, {"text": folded, "phrase": '"' + folded.replace('"', '""') + '"'})
        else:
            cursor = db.execute(_BY_SCAN, {"text": folded})
        rows, item, previous = [], -1, None
        for resource, label, matched in cursor:
            if resource != previous:
                item, previous = item + 1, resource
            if offset <= item < offset + limit:
                rows.append({"resource": resource, **({"label": label} if label is not None else {}),
                             "matched": matched})
        return rows, item + 1
    except sqlite3.OperationalError as exc:
        if deadline is not None and time.monotonic() > deadline:
            raise SearchTimeout(str(exc)) from None
        raise
    finally:
        db.close()
