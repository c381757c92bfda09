"""The SQLite files a build writes beside its store (`kg.search_index`, `kg.listings`): made anew, updated in a
later build when they are of the layout this code writes, and read, once published, without a lock.

A file's layout is its SQLite `user_version`; a file of another layout is `StaleFile`, and written anew.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.sqlite"
>>> create(path, layout=2).close()
>>> open_to_update(path, layout=3)
Traceback (most recent call last):
...
kg.sqlite_files.StaleFile: ...x.sqlite is of layout 2, not 3
"""

import sqlite3
from pathlib import Path


class StaleFile(Exception):
    """The file is of another layout than this code writes: write it anew."""


def _fast(db: sqlite3.Connection) -> None:
    # A file a build writes is published only whole, after the build, so it needs no journal and no sync.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")


def create(path: Path, layout: int) -> sqlite3.Connection:
    """A new, empty file at `path` (an older one is removed), marked with `layout`."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    _fast(db)
    db.execute(f"PRAGMA user_version = {int(layout)}")
    return db


def open_to_update(path: Path, layout: int) -> sqlite3.Connection:
    """The file at `path`, to change; StaleFile when it is not of `layout`."""
    db = sqlite3.connect(path)
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found != layout:
        db.close()
        raise StaleFile(f"{path} is of layout {found}, not {layout}")
    _fast(db)
    return db


def open_read_only(path: Path, what: str) -> sqlite3.Connection:
    """A published file, read-only; `immutable`: it never changes, so SQLite takes no lock. FileNotFoundError,
    naming `what` the file holds, when there is none."""
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
