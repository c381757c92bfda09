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

from .compile import Cache, Compilation, Compiled, Context
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
class Plan:
    """What changed since the previous build: the files to load, the graphs to drop, the subjects touched."""

    changed: list[Compiled]  # files new or changed since the previous build
    removed: list[str]  # paths of files gone since
    graphs_out: set[str]  # source graphs to drop: those of the removed files and the old versions of the changed
    old_keys: list[str]  # cache keys of those old versions
    affected: set[str]  # every subject the change can touch: those of the new files and of the old versions


@dataclass
class Change:
    """What replacing the changed graphs did to the store."""

    affected: set[str]  # as in the Plan
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


def plan_change(compilation: Compilation, previous: Previous) -> Plan:
    """The files that changed or went since `previous`, and the subjects of their new and old versions;
    BuildError when the cache lost an old version."""
    before = previous.files
    changed = [c for c in compilation.files if before.get(c.path, {}).get("key") != c.key]
    removed = [p for p in before if p not in compilation.order]
    replaced = [c.path for c in changed if c.path in before]
    affected: set[str] = set()
    for c in changed:
        affected.update(compilation.part(c.source).subjects)
    for path in removed + replaced:
        old = compilation.cache.get(path, before[path]["key"])
        if old is None:
            raise BuildError(f"the compiled form of the previous {path} is missing from {compilation.cache.root}; "
                             "run `ctkg build --full`")
        affected.update(old.subjects)
    return Plan(changed, removed, {before[p]["source"] for p in removed + replaced},
                [before[p]["key"] for p in removed + replaced], affected)


def touched(plan: Plan, cache: Cache) -> set[str]:
    """The IRIs of every subject and object of the triples that the change adds or takes away (of the new and
    the old versions of the files, whole): a superset of the resources whose description can have changed."""
    nodes = set(plan.affected)
    for key in [c.key for c in plan.changed] + plan.old_keys:
        for quad in ox.parse(path=str(cache.quads_path(key)), format=ox.RdfFormat.N_QUADS):
            if isinstance(quad.object, ox.NamedNode):
                nodes.add(quad.object.value)
    return nodes


def apply_change(plan: Plan, store: ox.Store, previous: Previous, cache: Cache,
                 progress: Callable[[str], None] = lambda _: None) -> Change:
    """Replace, in `store` (a checkpoint of the previous build), the graphs of the changed and removed files,
    and bring the default graph in step."""
    progress(f"updating the previous build: {len(plan.changed)} changed, {len(plan.removed)} removed file(s)")
    graphs_in = {c.source for c in plan.changed}
    lost_quads, lost = _leaving(store, plan.graphs_out)
    for graph in sorted(plan.graphs_out):
        store.remove_graph(ox.NamedNode(graph))
    load_named_graphs(store, [cache.quads_path(c.key) for c in plan.changed])
    unmirror_from_default(store, lost)  # only these can have lost their last named graph
    mirror_into_default(store, [ox.NamedNode(graph) for graph in sorted(graphs_in)])
    gained_quads, gained = _leaving(store, graphs_in)

    triples = previous.inputs["triples"] - len(lost) + len(gained)
    # The quads are those of the named graphs plus the default graph, which holds each distinct triple once.
    quads = previous.inputs["quads"] - previous.inputs["triples"] - lost_quads + gained_quads + triples
    return Change(plan.affected, {"quads": quads, "triples": triples, "changed": len(plan.changed)})


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
