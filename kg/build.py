"""A build, from facts files to a published graph: the orchestration of the steps and their timings.

Nothing is written to the served graph unless everything parses and conforms; a build that fails, or
dies half-way, leaves the previous graph in place (see `kg.store`).

Each facts file is compiled on its own and cached by content (`kg.compile`). A full build loads every
file into a fresh store; an incremental build (`kg.incremental`) starts from a checkpoint of the current
build and replaces only the graphs of the files that changed. Either way the new store is checked by the
validation pipeline that `ctkg validate` also runs (`kg.validate.check`).
"""

import shutil
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import __version__, listings, search_index, stats
from .compile import Cache, Compilation, Context, compile_facts
from .errors import BuildError
from .findings import Finding
from .incremental import Plan, Previous, apply_change, can_update, plan_change, previous_build, touched
from .ontology import load_ontology
from .quality import label_collisions
from .settings import Settings
from .shacl import load_shapes
from .shape_plan import plan_shapes
from .sqlite_files import StaleFile
from .store import StoreLayout, distinct_triples, load_graphs, read_manifest
from .validate import check

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class BuildReport:
    build_dir: Path
    triples: int
    quads: int
    sources: int
    seconds: dict[str, float]  # wall clock: parse, validate, load (see `_split`), total
    mode: str = "full"  # "full", or "incremental" when it started from the previous build
    compiled: int = 0  # facts files read and checked by this build; the others came from the cache
    changed: int = 0  # files whose graph was (re)loaded: all of them in a full build
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of the file compilations, all workers
    phases: dict[str, float] = field(default_factory=dict)  # wall clock: setup, compile, load, check, derive, publish


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall-clock time of the block to `phases[name]`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - start


def build(settings: Settings, progress: Progress = _quiet, full: bool = False) -> BuildReport:
    """Compile, validate and publish; raises FactsError, BuildError (with the validation report) on failure.

    Incremental when the current build was made from the same ontology, shapes and code (and `full` is
    not set): only the files that changed are read, checked and reloaded."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    layout = StoreLayout(settings.store_dir)
    with _timed(phases, "setup"):
        ontology = load_ontology(settings.ontology_dir)
        plan = plan_shapes(load_shapes(settings.shapes_dir), settings.shacl_engine)
        context = Context.make(settings.ontology_dir, settings.shapes_dir, ontology, plan)
        previous = None if full else previous_build(layout, context)

    with _timed(phases, "compile"):
        compilation = compile_facts(settings.data_dir, ontology, plan, context, Cache(layout.cache),
                                    reuse=not full, workers=settings.build_workers, progress=progress,
                                    known=previous.files if previous else {})
        if previous is not None and not can_update(compilation, previous):
            progress("the previous build's compiled files are gone from the cache: a full build")
            previous = None

    build_dir = layout.new_build_dir()
    try:
        if previous is not None:
            counts, derived = _update(compilation, layout, previous, build_dir, phases, progress)
        else:
            counts, derived = _fresh(compilation, build_dir, phases, progress)
    except BaseException as exc:
        # Frames kept by the traceback may still hold the new store open; release them before removing it.
        traceback.clear_frames(exc.__traceback__)
        layout.discard(build_dir)
        raise
    mode = "incremental" if previous is not None else "full"
    files = compilation.files
    with _timed(phases, "publish"):
        _publish(layout, build_dir, mode, counts, compilation, context.fingerprint, derived)
    phases["total"] = time.perf_counter() - started
    compiled = [c for c in files if not c.cached]
    progress(f"published {build_dir.name} ({mode}): {counts['quads']} quads in {len(files)} source graph(s)")
    cpu = {k: sum(c.cpu.get(k, 0.0) for c in compiled) for k in ("parse", "validate", "write")}
    return BuildReport(build_dir, counts["triples"], counts["quads"], len(files), _split(phases, cpu),
                       mode=mode, compiled=len(compiled), changed=counts["changed"], cpu=cpu, phases=phases)


def _publish(layout: StoreLayout, build_dir: Path, mode: str, counts: dict[str, int], compilation: Compilation,
             fingerprint: str, derived: dict) -> None:
    """Make the build current, with its manifest (and what `_derive` counted) and the inputs a next
    incremental build starts from."""
    files = compilation.files
    layout.publish(build_dir, {
        "ctkg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build": mode,
        "quads": counts["quads"],
        "triples": counts["triples"],
        "sources": sorted(c.source for c in files),
        "files": sorted(c.path for c in files),
        **derived,
    }, inputs={
        "fingerprint": fingerprint,
        "quads": counts["quads"],
        "triples": counts["triples"],
        "files": {c.path: {"key": c.key, "source": c.source} for c in files},
    })
    _prune_cache(layout, compilation.cache)


def _split(seconds: dict[str, float], cpu: dict[str, float]) -> dict[str, float]:
    """Wall-clock seconds as parse / validate / load / total. The files compile in parallel, each doing all
    three, so that phase is split in proportion to its CPU time; the graph-wide checks count as validate,
    the store's writes (and the checkpoint) and what the API reads beside the store as load."""
    spent = sum(cpu.values())
    compile_s = seconds.get("compile", 0.0)
    share = {k: (v / spent if spent else 0.0) for k, v in cpu.items()}
    parse = seconds.get("setup", 0.0) + compile_s * (share.get("parse", 0.0) if spent else 1.0)
    return {
        "parse": parse,
        "validate": compile_s * share.get("validate", 0.0) + seconds.get("check", 0.0),
        "load": (compile_s * share.get("write", 0.0) + seconds.get("load", 0.0) + seconds.get("derive", 0.0)
                 + seconds.get("publish", 0.0)),
        "total": seconds["total"],
    }


def _derive(store: ox.Store, build_dir: Path) -> dict:
    """What the API reads without querying the store, from the new store, written next to it (and so published
    with it): the search index of names, the lists it pages through; and, for the manifest, the lists' sizes
    and the resources per class."""
    search_index.write(store, build_dir / search_index.FILE)
    return {"lists": listings.write(store, build_dir / listings.FILE), "classes": stats.class_counts(store)}


def _collisions(derived: Future, build_dir: Path, subjects: set[str] | None = None) -> Callable[[], list[Finding]]:
    """The label-collision check, read from the build's search index once `derived` has written it: names are
    indexed there, where the query reads every name of the store (of `subjects` only, after a change)."""
    def found() -> list[Finding]:
        derived.result()
        return label_collisions(search_index.collisions(build_dir / search_index.FILE, subjects))
    return found


def _fresh(compilation: Compilation, build_dir: Path, phases: dict[str, float],
           progress: Progress) -> tuple[dict[str, int], dict]:
    """A full build: every graph loaded into a new store, then every check on the whole graph, while what the
    API reads beside the store is derived from it (`_derive`)."""
    progress("loading into a fresh store")
    store = ox.Store(str(build_dir / "oxigraph"))
    try:
        with _timed(phases, "load"):
            load_graphs(store, compilation.graphs())
        progress("validating the graph: classes of linked nodes, nodes stated by several files, quality checks")
        with ThreadPoolExecutor(1) as beside:
            with _timed(phases, "check"):
                triples = beside.submit(distinct_triples, store)  # pyoxigraph counts without holding the GIL
                derived = beside.submit(_derive, store, build_dir)
                result = check(compilation, store, progress=progress, collisions=_collisions(derived, build_dir))
                counts = {"quads": len(store), "triples": triples.result(), "changed": len(compilation.files)}
            with _timed(phases, "derive"):  # what it takes beyond the checks
                derived = derived.result()
        if not result.conforms:
            raise BuildError(result.text)
        with _timed(phases, "load"):
            store.flush()
            store.optimize()
        return counts, derived
    finally:
        del store  # closes the database, even when a traceback keeps this frame alive


def _derive_change(store: ox.Store, build_dir: Path, previous: Previous, plan: Plan, cache: Cache,
                   classes_before: Counter, progress: Progress) -> dict:
    """`_derive` for an incremental build: the previous build's files, copied and updated for the resources the
    change touched; the whole derivation again when they are missing or of another layout."""
    try:
        manifest = read_manifest(previous.build_dir)
        for name in (search_index.FILE, listings.FILE):
            shutil.copyfile(previous.build_dir / name, build_dir / name)
        nodes = touched(plan, cache)
        search_index.update(store, build_dir / search_index.FILE, plan.affected)
        lists = listings.update(store, build_dir / listings.FILE, nodes, plan.affected)
        classes = stats.updated(manifest["classes"], classes_before, stats.types(store, plan.affected), store)
    except (OSError, KeyError, StaleFile) as exc:
        progress(f"the search index and lists are derived anew: the previous build's cannot be updated ({exc!r})")
        return _derive(store, build_dir)
    return {"lists": lists, "classes": classes}


def _update(compilation: Compilation, layout: StoreLayout, previous: Previous, build_dir: Path,
            phases: dict[str, float], progress: Progress) -> tuple[dict[str, int], dict]:
    """An incremental build: the previous store, with the graphs of changed and removed files replaced; what
    the API reads beside the store is updated from the previous build's (`_derive_change`) while the changed
    nodes are checked."""
    with _timed(phases, "load"):
        layout.checkpoint(previous.build_dir, build_dir / "oxigraph")
        store = ox.Store(str(build_dir / "oxigraph"))
    try:
        with _timed(phases, "load"):
            plan = plan_change(compilation, previous)
            classes_before = stats.types(store, plan.affected)
            change = apply_change(plan, store, previous, compilation.cache, progress)
        progress(f"validating the {len(change.affected)} node(s) of the changed files and the nodes linking to them")
        with ThreadPoolExecutor(1) as beside:
            with _timed(phases, "check"):
                derived = beside.submit(_derive_change, store, build_dir, previous, plan, compilation.cache,
                                        classes_before, progress)
                result = check(compilation, store, changed=change.affected, progress=progress,
                               collisions=_collisions(derived, build_dir, change.affected))
            with _timed(phases, "derive"):
                derived = derived.result()
        if not result.conforms:
            raise BuildError(result.text)
        with _timed(phases, "load"):
            store.flush()
        return change.counts, derived
    finally:
        del store


def _prune_cache(layout: StoreLayout, cache: Cache) -> None:
    """Drop compiled files that no build on disk refers to."""
    wanted = {f["key"] for inputs in layout.kept_inputs() for f in inputs.get("files", {}).values()}
    for key in cache.keys() - wanted:
        cache.remove(key)
