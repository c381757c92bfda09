"""Compiling facts files: what each file contributes to a build, compiled once and cached by content.

Compiling a file reads it (`kg.facts`), types its instances with all their superclasses, checks its nodes
against the local part of the shapes (`kg.shape_plan.ShapePlan`) and writes its named graph as N-Quads.
The result depends on nothing but the file's bytes and the build's own inputs (ontology, shapes, the code
that reads facts), so it is cached under `<store>/cache/` by a hash of all of them: a rebuild after one
file changed compiles that file only. Large builds compile in worker processes, one file per task.
"""

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .errors import BuildError
from .facts import SourceFacts, facts_files, read_facts
from .findings import Finding
from .ontology import superclasses
from .oxutil import to_ox_quads
from .shacl import shacl_findings
from .shape_plan import ShapePlan
from .store import NQuads
from .vocab import ONTOLOGY_IRI

Progress = Callable[[str], None]

# Below this many bytes of YAML to compile, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 2_000_000
# The modules whose code decides what a compiled file holds: a change to any of them invalidates the cache.
COMPILING_MODULES = ("compile.py", "facts.py", "findings.py", "ontology.py", "oxutil.py", "shacl.py",
                     "shape_plan.py", "vocab.py")


def _quiet(_: str) -> None:
    pass


@dataclass
class Compiled:
    """One facts file, compiled: where its quads are and what the build needs to know about its nodes."""

    path: str
    key: str  # content hash of the file and of everything that shapes its compilation
    source: str  # the source IRI, which names the file's graph
    # None until loaded, for a file known unchanged since the previous build (see `compile_all`):
    records: dict[str, str] | None  # node IRI -> the fact that states it, e.g. "applications[0] (x)"
    subjects: list[str] | None  # every subject of the file's graph
    findings: list[Finding] | None  # local shape violations of those subjects, as if no other file existed
    cpu: dict[str, float] = field(default_factory=dict)  # seconds spent: parse, validate, write (0 if cached)
    cached: bool = False

    def to_json(self) -> dict:
        return {"source": self.source, "records": self.records, "subjects": self.subjects,
                "findings": [list(f) for f in self.findings]}

    @classmethod
    def from_json(cls, path: str, key: str, doc: dict) -> "Compiled":
        return cls(path, key, doc["source"], doc["records"], doc["subjects"],
                   [Finding(*f) for f in doc["findings"]], cached=True)


@dataclass(frozen=True)
class Context:
    """What every compilation depends on besides the file itself; picklable, for worker processes."""

    fingerprint: str  # hash of the ontology, the shapes, the code and the library versions
    superclasses: dict[str, list[str]]  # class IRI -> all its superclass IRIs
    local_shapes_nt: str  # the plan's local shapes, as N-Triples (a Graph does not pickle cheaply)
    local: bool  # False: the shapes are not local; files are not checked one by one
    shacl_engine: str  # the SHACL engine that checks each file (kg.shacl.ENGINES)

    @classmethod
    def make(cls, ontology_dir: Path, shapes_dir: Path, ontology: Graph, plan: ShapePlan) -> "Context":
        digest = hashlib.sha256()
        for path in sorted(ontology_dir.glob("*.ttl")) + sorted(shapes_dir.glob("*.ttl")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for module in COMPILING_MODULES:
            digest.update(Path(__file__).with_name(module).read_bytes())
        for dist in ("rdflib", plan.engine, "pyoxigraph"):  # findings cached under another engine are not reused
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        digest.update(str(plan.local).encode())
        closure = {str(cls_): sorted(str(s) for s in sups) for cls_, sups in superclasses(ontology).items()}
        return cls(digest.hexdigest(), closure, plan.local_shapes.serialize(format="nt"), plan.local, plan.engine)

    def key(self, content: bytes) -> str:
        return hashlib.sha256(self.fingerprint.encode() + b"\0" + content).hexdigest()


def add_inferred_types(src: SourceFacts, closure: dict[str, list[str]]) -> None:
    """Type each instance with every superclass of its classes, so that `?x a ctkg:MedicinalProduct` finds
    a CAR-T product without property paths. Added in the graph of the source that typed it."""
    for node, cls in list(src.graph.subject_objects(RDF.type)):
        for sup in closure.get(str(cls), ()):
            src.graph.add((node, RDF.type, URIRef(sup)))


class Cache:
    """Compiled files under one directory: `<key>.nq` (the graph) and `<key>.json` (the rest)."""

    def __init__(self, root: Path):
        self.root = root

    def quads_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.nq"

    def meta_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, path: str, key: str) -> Compiled | None:
        if not self.quads_path(key).exists():
            return None
        try:
            doc = json.loads(self.meta_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Compiled.from_json(path, key, doc)

    def put(self, compiled: Compiled, nquads: bytes) -> None:
        folder = self.quads_path(compiled.key).parent
        folder.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed, so a crash never leaves half an entry; the .json
        # goes last because its presence is what `get` trusts.
        for target, data in ((self.quads_path(compiled.key), nquads),
                             (self.meta_path(compiled.key), json.dumps(compiled.to_json()).encode())):
            partial = target.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(data)
            os.replace(partial, target)

    def keys(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {p.stem for p in self.root.glob("*/*.json")}

    def remove(self, key: str) -> None:
        for target in (self.meta_path(key), self.quads_path(key)):
            target.unlink(missing_ok=True)


@dataclass
class Compilation:
    """Every facts file of a build compiled, with the ontology and the shape plan they were compiled
    under: what a build loads into its store, and what validation traces its findings with."""

    ontology: Graph
    plan: ShapePlan
    cache: Cache
    files: list[Compiled]  # in the order of facts_files; unchanged files may be loaded lazily

    def __post_init__(self):
        self.by_source = {c.source: c for c in self.files}
        self.order = {c.path: i for i, c in enumerate(self.files)}
        self._ontology_part: Compiled | None = None

    def part(self, graph: str) -> Compiled | None:
        """The compiled file (or the ontology) whose named graph is `graph`, with its records and findings."""
        if graph == str(ONTOLOGY_IRI):
            if self._ontology_part is None:
                self._ontology_part = Compiled(
                    "", "", graph, {}, sorted({str(s) for s in self.ontology.subjects(unique=True)}),
                    self.plan.local_findings(self.ontology) if self.plan.local else [])
            return self._ontology_part
        compiled = self.by_source.get(graph)
        if compiled is not None and compiled.records is None:
            loaded = self.cache.get(compiled.path, compiled.key)
            if loaded is None:
                raise BuildError(f"the compiled form of {compiled.path} is missing from {self.cache.root}; "
                                 "run `ctkg build --full`")
            compiled.records, compiled.subjects, compiled.findings = loaded.records, loaded.subjects, loaded.findings
        return compiled

    def parts(self) -> list[Compiled]:
        """The ontology and every file, each with its records and findings."""
        return [self.part(str(ONTOLOGY_IRI))] + [self.part(c.source) for c in self.files]

    def graphs(self) -> list[tuple[str, NQuads]]:
        """Each named graph with its N-Quads, the ontology's first: what a fresh store loads."""
        ontology = ox.serialize(to_ox_quads(self.ontology, ONTOLOGY_IRI), format=ox.RdfFormat.N_QUADS)
        return [(str(ONTOLOGY_IRI), ontology)] + [(c.source, self.cache.quads_path(c.key)) for c in self.files]


def compile_facts(data_dir: Path, ontology: Graph, plan: ShapePlan, context: Context, cache: Cache,
                  reuse: bool = True, workers: int = 0, progress: Progress = _quiet,
                  known: dict[str, dict] | None = None) -> Compilation:
    """Every facts file under `data_dir` compiled (see `compile_all`); BuildError when there is none, or
    when two files share a source id."""
    paths = facts_files(data_dir)
    if not paths:
        raise BuildError(f"{data_dir}: no facts files (*.yaml) to build from")
    files = compile_all(paths, context, cache, reuse=reuse, workers=workers, progress=progress, known=known)
    _unique_sources((c.path, c.source) for c in files)
    return Compilation(ontology, plan, cache, files)


def _unique_sources(pairs: Iterable[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for path, source in pairs:
        if source in seen:
            raise BuildError(f"{path}: source id <{source}> is already used by {seen[source]}; "
                             "give each facts file its own source id")
        seen[source] = path


def compile_file(path: Path, key: str, context: Context, shapes: Graph | None) -> tuple[Compiled, bytes]:
    """Read, type, check and serialize one facts file; raises FactsError as `read_facts` does."""
    t0 = time.process_time()
    src = read_facts(path)
    add_inferred_types(src, context.superclasses)
    t1 = time.process_time()
    findings = []
    if shapes is not None:
        findings = shacl_findings(src.graph, shapes, inplace=True, engine=context.shacl_engine)
    t2 = time.process_time()
    nquads = ox.serialize(to_ox_quads(src.graph, src.source), format=ox.RdfFormat.N_QUADS)
    t3 = time.process_time()
    compiled = Compiled(
        path=str(path), key=key, source=str(src.source),
        records={str(node): record.where for node, record in src.records.items()},
        subjects=sorted({str(s) for s in src.graph.subjects(unique=True)}),
        findings=findings, cpu={"parse": t1 - t0, "validate": t2 - t1, "write": t3 - t2},
    )
    return compiled, nquads


def compile_all(
    paths: list[Path],
    context: Context,
    cache: Cache,
    reuse: bool = True,
    workers: int = 0,
    progress: Progress = _quiet,
    known: dict[str, dict] | None = None,
) -> list[Compiled]:
    """Every file compiled (from the cache when `reuse` and the key is there), in the order of `paths`.

    `known` ({path: {"key", "source"}}, from the previous build) names files whose compiled form is only
    loaded from the cache when asked for (`Compiled.records` is None until then). Raises the FactsError of
    the first bad file in order. The compiled quads are in `cache`; `workers` 0 means one per core, 1 means
    in this process."""
    keys = [context.key(path.read_bytes()) for path in paths]
    results = [_reused(str(path), key, cache, known or {}) if reuse else None
               for path, key in zip(paths, keys, strict=True)]
    todo = [i for i, r in enumerate(results) if r is None]
    if not todo:
        return results
    size = sum(paths[i].stat().st_size for i in todo)
    workers = min(workers or len(os.sched_getaffinity(0)), len(todo))
    if workers > 1 and size >= PARALLEL_MIN_BYTES:
        progress(f"reading and checking {len(todo)} of {len(paths)} facts file(s) in {workers} processes")
        compiled, errors = _compile_in_processes([(paths[i], keys[i]) for i in todo], context, cache, workers,
                                                 progress)
    else:
        progress(f"reading and checking {len(todo)} of {len(paths)} facts file(s)")
        compiled, errors = _compile_here([(paths[i], keys[i]) for i in todo], context, cache, progress)
    if errors:
        raise errors[min(errors)]
    for n, i in enumerate(todo):
        results[i] = compiled[n]
    return results


def _reused(path: str, key: str, cache: Cache, known: dict[str, dict]) -> Compiled | None:
    """The file's compiled form when the cache has it: a stub to load later when the previous build had the
    same key, else read now; None when it must be compiled."""
    if known.get(path, {}).get("key") == key and cache.quads_path(key).exists():
        return Compiled(path, key, known[path]["source"], None, None, None, cached=True)
    return cache.get(path, key)


def _compile_here(todo: list[tuple[Path, str]], context: Context, cache: Cache,
                  progress: Progress) -> tuple[list[Compiled], dict[int, Exception]]:
    """Compile in this process, stopping at the first bad file."""
    shapes = _local_shapes(context)
    out: list[Compiled] = []
    for n, (path, key) in enumerate(todo):
        progress(f"reading facts {n + 1}/{len(todo)}: {path}")
        try:
            compiled, nquads = compile_file(path, key, context, shapes)
        except Exception as exc:  # the first bad file in order is raised by the caller
            return out, {n: exc}
        cache.put(compiled, nquads)
        out.append(compiled)
    return out, {}


def _compile_in_processes(todo: list[tuple[Path, str]], context: Context, cache: Cache, workers: int,
                          progress: Progress) -> tuple[list[Compiled | None], dict[int, Exception]]:
    """Compile in `workers` processes; every file's error is kept, so the caller raises the first in order."""
    # forkserver: a clean child even when this process holds open stores and their threads.
    mp = multiprocessing.get_context("forkserver")
    out: list[Compiled | None] = []
    errors: dict[int, Exception] = {}
    with ProcessPoolExecutor(workers, mp_context=mp, initializer=_start_worker,
                             initargs=(context, str(cache.root))) as pool:
        futures = [pool.submit(_compile_task, str(path), key) for path, key in todo]
        for n, future in enumerate(futures):
            try:
                out.append(future.result())
            except Exception as exc:  # kept, and raised in file order by the caller
                out.append(None)
                errors[n] = exc
            if (n + 1) % 100 == 0:
                progress(f"checked {n + 1}/{len(todo)} facts files")
    return out, errors


# --- worker processes ---

_worker: dict = {}


def _start_worker(context: Context, cache_root: str) -> None:
    _worker["context"] = context
    _worker["cache"] = Cache(Path(cache_root))
    _worker["shapes"] = _local_shapes(context)


def _local_shapes(context: Context) -> Graph | None:
    if not context.local:
        return None
    shapes = Graph()
    shapes.parse(data=context.local_shapes_nt, format="nt")
    return shapes


def _compile_task(path: str, key: str) -> Compiled:
    compiled, nquads = compile_file(Path(path), key, _worker["context"], _worker["shapes"])
    _worker["cache"].put(compiled, nquads)
    return compiled
