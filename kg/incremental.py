"""Incremental builds: the change since the current build, applied to a checkpoint of its store.

The previous build records its inputs (`inputs.json`: fingerprint, counts, and each file's cache key and
source). When the fingerprint is the same, a build can start from a checkpoint of the previous store and
replace only the named graphs of the files that changed or were removed; `kg.validate.check` then checks
the nodes that change can touch, since every other node is as it was in the previous build, which
conformed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .compile import Compilation, Context
from .errors import BuildError, StoreError
from .store import StoreLayout, load_named_graphs, mirror_into_default, named_quads, unmirror_from_default


@dataclass
class Previous:
    """The current build, when a build can start from it."""

    build_dir: Path
    inputs: dict  # its inputs.json: fingerprint, quads, triples, files ({path: {"key", "source"}})

    @property
    def files(self) -> dict[str, dict]:
        return self.inputs["files"]


@dataclass
class Change:
    """What replacing the changed graphs did to the store."""

    affected: set[str]  # every subject the change can touch: those of the new files and of the old versions
    counts: dict[str, int]  # the new store's quads and triples, and how many files' graphs were loaded


def previous_build(layout: StoreLayout, context: Context) -> Previous | None:
    """The current build, when it was made from the same ontology, shapes and code; None for a full build."""
    try:
        current = layout.current_build()
    except StoreError:  # no build yet
        return None
    inputs = layout.inputs(current)
    if not inputs or inputs.get("fingerprint") != context.fingerprint or not (current / "oxigraph").exists():
        return None
    return Previous(current, inputs)


def can_update(compilation: Compilation, previous: Previous) -> bool:
    """Whether the cache still holds the previous version of every changed or removed file."""
    files, order = compilation.files, compilation.order
    return all(compilation.cache.meta_path(f["key"]).exists() for path, f in previous.files.items()
               if path not in order or files[order[path]].key != f["key"])


def apply_change(compilation: Compilation, store: ox.Store, previous: Previous,
                 progress: Callable[[str], None] = lambda _: None) -> Change:
    """Replace, in `store` (a checkpoint of the previous build), the graphs of the changed and removed files,
    and bring the default graph in step."""
    before = previous.files
    changed = [c for c in compilation.files if before.get(c.path, {}).get("key") != c.key]
    removed = [p for p in before if p not in compilation.order]
    replaced = [c.path for c in changed if c.path in before]
    graphs_out = {before[p]["source"] for p in removed + replaced}
    graphs_in = {c.source for c in changed}

    affected: set[str] = set()
    for c in changed:
        affected.update(compilation.part(c.source).subjects)
    for path in removed + replaced:
        old = compilation.cache.get(path, before[path]["key"])
        if old is None:
            raise BuildError(f"the compiled form of the previous {path} is missing from {compilation.cache.root}; "
                             "run `ctkg build --full`")
        affected.update(old.subjects)
    progress(f"updating the previous build: {len(changed)} changed, {len(removed)} removed file(s)")

    lost_quads, lost = _leaving(store, graphs_out)
    for graph in sorted(graphs_out):
        store.remove_graph(ox.NamedNode(graph))
    load_named_graphs(store, [compilation.cache.quads_path(c.key) for c in changed])
    unmirror_from_default(store, lost)  # only these can have lost their last named graph
    mirror_into_default(store, [ox.NamedNode(graph) for graph in sorted(graphs_in)])
    gained_quads, gained = _leaving(store, graphs_in)

    triples = previous.inputs["triples"] - len(lost) + len(gained)
    # The quads are those of the named graphs plus the default graph, which holds each distinct triple once.
    quads = previous.inputs["quads"] - previous.inputs["triples"] - lost_quads + gained_quads + triples
    return Change(affected, {"quads": quads, "triples": triples, "changed": len(changed)})


def _leaving(store: ox.Store, graphs: set[str]) -> tuple[int, set[tuple]]:
    """How many quads the `graphs` hold, and the distinct triples that no other named graph holds."""
    quads = 0
    only_here = set()
    for graph in graphs:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            quads += 1
            triple = (quad.subject, quad.predicate, quad.object)
            if triple in only_here:
                continue
            holders = {q.graph_name.value for q in named_quads(store, *triple)}
            if holders <= graphs:
                only_here.add(triple)
    return quads, only_here
