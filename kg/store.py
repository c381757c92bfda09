"""The graph's stores: one pyoxigraph store per build, a named graph per source and their union as the
default graph.

On disk, complete builds sit side by side with a `current` link to the last one, which the API serves.
A build is written into a fresh directory and only then published by replacing the `current` symlink
in one atomic rename, so a reader sees the previous complete graph or the new one, never a mix, and a
build that dies half-way leaves `current` untouched. An incremental build starts from a checkpoint of the
current build (hard links to its immutable files, so the previous graph is never opened for writing) and
`cache/` keeps each facts file compiled, by content hash, for the next build.

A build directory holds the store (`oxigraph/`), its `manifest.json`, the `inputs.json` an incremental build
starts from, and what the API reads beside the store, derived from it by the build: the search index of names
(`kg.search_index`) and the lists the API pages through (`kg.listings`). All of it is written before the build
is published and never after, so the `current` link swaps them together.

In a store, each source has its named graph, bulk-loaded from N-Quads files, and the default graph holds
the union of the named graphs as a set (see `mirror_into_default`).
"""

import functools
import io
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .errors import StoreError
from .rq import read_query

MANIFEST = "manifest.json"
INPUTS = "inputs.json"  # what an incremental build needs to know about the build it starts from
KEEP_BUILDS = 3  # readers may still hold an older build open while a new one is published


@dataclass(frozen=True)
class StoreLayout:
    root: Path

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def new_build_dir(self) -> Path:
        self.builds.mkdir(parents=True, exist_ok=True)
        path = self.builds / f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{os.getpid()}"
        path.mkdir()
        return path

    def current_build(self) -> Path:
        """The directory of the last complete build; StoreError if there is none."""
        if not self.current.exists():
            raise StoreError(f"no graph has been built in {self.root}; run `ctkg build` first")
        return self.current.resolve()

    def checkpoint(self, build_dir: Path, target: Path) -> None:
        """A copy of the store of `build_dir` at `target`, made of hard links where the file system allows."""
        source = ox.Store.read_only(str(build_dir / "oxigraph"))
        try:
            source.backup(str(target))
        finally:
            del source

    def inputs(self, build_dir: Path) -> dict | None:
        """What `build_dir` was built from (see `kg.build`), or None for a build that did not record it."""
        try:
            return json.loads((build_dir / INPUTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def publish(self, build_dir: Path, manifest: dict, inputs: dict | None = None) -> None:
        """Make `build_dir` the current graph, atomically, and prune builds nobody should need."""
        if inputs is not None:
            (build_dir / INPUTS).write_text(json.dumps(inputs, sort_keys=True), encoding="utf-8")
        (build_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        link = self.root / f".current-{os.getpid()}"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(build_dir.relative_to(self.root))
        os.replace(link, self.current)
        self.prune()

    def prune(self) -> None:
        current = self.current.resolve() if self.current.exists() else None
        complete = sorted(p for p in self.builds.iterdir() if (p / MANIFEST).exists())
        for old in complete[:-KEEP_BUILDS]:
            if old != current:
                shutil.rmtree(old, ignore_errors=True)
        # Builds without a manifest never completed; remove those older than the newest complete one.
        newest = complete[-1].name if complete else ""
        for partial in self.builds.iterdir():
            if not (partial / MANIFEST).exists() and partial.name < newest:
                shutil.rmtree(partial, ignore_errors=True)

    def kept_inputs(self) -> list[dict]:
        """The inputs of every complete build still on disk (their cache entries must be kept)."""
        if not self.builds.exists():
            return []
        return [i for p in sorted(self.builds.iterdir()) if (p / MANIFEST).exists() and (i := self.inputs(p))]

    def discard(self, build_dir: Path) -> None:
        shutil.rmtree(build_dir, ignore_errors=True)

    def manifest(self) -> dict:
        return read_manifest(self.current_build())


def read_manifest(build_dir: Path) -> dict:
    """What a build recorded of itself (triples, quads, sources, built_at); OSError or ValueError when the
    file is missing or unreadable."""
    return json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))


def open_read_only(root: Path) -> tuple[ox.Store, Path]:
    """Open the current build read-only; returns the store and the build directory it came from."""
    build = StoreLayout(root).current_build()
    try:
        return ox.Store.read_only(str(build / "oxigraph")), build
    except OSError as exc:
        raise StoreError(f"cannot open the graph in {build}: {exc}") from None


# --- the default graph: the union of the sources' graphs, as a set ---------------------------------------
# pyoxigraph's `use_default_graph_as_union` evaluates the union as a multiset (a triple that three sources
# state matches three times, and COUNT(*) counts it thrice). So each build also writes the distinct
# triples of every named graph into the default graph, which queries then read directly.

def distinct_triples(store: ox.Store) -> int:
    """How many distinct triples the named graphs hold (the size of the default graph)."""
    (row,) = store.query(read_query("kg", "store_queries", "distinct-triples"))
    return int(row["n"].value)


def named_quads(store: ox.Store, subject=None, predicate=None, obj=None):
    """The quads matching the pattern in the named graphs only (not the derived default graph)."""
    return (q for q in store.quads_for_pattern(subject, predicate, obj)
            if not isinstance(q.graph_name, ox.DefaultGraph))


def as_default(quads):
    """The triples of `quads`, as quads of the default graph (which, being a set, keeps each once)."""
    default = ox.DefaultGraph()
    return (ox.Quad(q.subject, q.predicate, q.object, default) for q in quads)


def mirror_into_default(store: ox.Store, graphs) -> None:
    """Add the triples of the named `graphs` to the default graph (for a few graphs: one transaction)."""
    store.extend(list(as_default(q for graph in graphs for q in store.quads_for_pattern(None, None, None, graph))))


def unmirror_from_default(store: ox.Store, triples) -> None:
    """Remove from the default graph each of `triples` that no named graph states any more."""
    default = ox.DefaultGraph()
    for subject, predicate, obj in triples:
        if next(named_quads(store, subject, predicate, obj), None) is None:
            store.remove(ox.Quad(subject, predicate, obj, default))


# --- bulk loading: N-Quads files streamed into the store ---------------------------------------------------

NQuads = Path | bytes  # one graph's serialized N-Quads: a file, or the bytes themselves


def load_graphs(store: ox.Store, graphs: list[tuple[str, NQuads]]) -> None:
    """Bulk-load the named graphs (graph IRI, its N-Quads), then their triples into the default graph."""
    _bulk_load(store, [nquads for _, nquads in graphs])
    # Each graph turned into triples when the loader reaches it, so that one file at a time is in memory.
    _bulk_load(store, [functools.partial(_triples_of, graph, nquads) for graph, nquads in graphs])


def load_named_graphs(store: ox.Store, files: list[Path]) -> None:
    """Bulk-load N-Quads files into their named graphs only (the caller mirrors them into the default)."""
    _bulk_load(store, list(files))


def _bulk_load(store: ox.Store, parts: list[NQuads | Callable[[], bytes]]) -> None:
    if parts:
        with io.BufferedReader(_Concatenated(parts), buffer_size=1 << 20) as stream:
            store.bulk_load(stream, format=ox.RdfFormat.N_QUADS)


def _triples_of(graph: str, nquads: NQuads) -> bytes:
    return as_triples(nquads if isinstance(nquads, bytes) else nquads.read_bytes(), graph)


def as_triples(nquads: bytes, graph: str) -> bytes:
    r"""One graph's N-Quads, as the build serializes them (`<s> <p> <o> <graph> .` a line; a newline in a
    literal is escaped), as N-Triples: the graph name is cut off each line's end, so that the bulk loader
    fills the default graph with no Python object per triple. Lines that do not all end so are parsed.

    >>> as_triples(b'<urn:s> <urn:p> "o" <urn:g> .\n', "urn:g")
    b'<urn:s> <urn:p> "o" .\n'
    """
    ending = f" <{graph}> .\n".encode()
    if nquads.count(b"\n") == nquads.count(ending):
        return nquads.replace(ending, b" .\n")
    triples = (q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


class _Concatenated(io.RawIOBase):
    """Several N-Quads parts read as one stream, so that one bulk load takes them all. A part is a file, its
    bytes, or a function that returns the bytes, called when the stream reaches it."""

    def __init__(self, parts: list[NQuads | Callable[[], bytes]]):
        self.parts = iter(parts)
        self.current: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self.current is None:
                part = next(self.parts, None)
                if part is None:
                    return 0
                if callable(part):
                    part = part()
                self.current = io.BytesIO(part) if isinstance(part, bytes) else part.open("rb")
            n = self.current.readinto(buffer)
            if n:
                return n
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        super().close()
