"""What one facts file contributes to a build, compiled once and cached by content.

Compiling a file reads it (`kg.facts`), types its instances with all their superclasses, checks its nodes
against the local part of the shapes (`kg.validate.ShapePlan`) and writes its named graph as N-Quads. The
result depends on nothing but the file's bytes and the build's own inputs (ontology, shapes, the code that
reads facts), so it is cached under `<store>/cache/` by a hash of all of them: a rebuild after one file
changed compiles that file only. Large builds compile in worker processes, one file per task.
"""

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from . import facts as facts_module
from .facts import SourceFacts, read_facts
from .oxutil import to_ox_quads
from .validate import Finding, ShapePlan, shacl_findings

# Below this many bytes of YAML to compile, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 2_000_000


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
    shacl_engine: str  # the SHACL engine that checks each file (kg.validate.ENGINES)

    @classmethod
    def make(cls, ontology_dir: Path, shapes_dir: Path, ontology: Graph, plan: ShapePlan) -> "Context":
        digest = hashlib.sha256()
        for path in sorted(ontology_dir.glob("*.ttl")) + sorted(shapes_dir.glob("*.ttl")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for module_file in (facts_module.__file__, __file__, Path(__file__).with_name("validate.py")):
            digest.update(Path(module_file).read_bytes())
        for dist in ("rdflib", plan.engine, "pyoxigraph"):  # findings cached under another engine are not reused
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        closure = {str(cls_): sorted(str(s) for s in sups) for cls_, sups in superclasses(ontology).items()}
        return cls(digest.hexdigest(), closure, plan.local_shapes.serialize(format="nt"), plan.local, plan.engine)

    def key(self, content: bytes) -> str:
        return hashlib.sha256(self.fingerprint.encode() + b"\0" + content).hexdigest()


def superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Each named class with all its named superclasses (transitively), from rdfs:subClassOf."""
    direct: dict[URIRef, set[URIRef]] = {}
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct.setdefault(sub, set()).add(sup)
    closed: dict[URIRef, set[URIRef]] = {}
    for cls in direct:
        seen: set[URIRef] = set()
        todo = list(direct[cls])
        while todo:
            sup = todo.pop()
            if sup not in seen:
                seen.add(sup)
                todo.extend(direct.get(sup, ()))
        closed[cls] = seen
    return closed


def add_inferred_types(src: SourceFacts, closure: dict[str, list[str]]) -> None:
    """Type each instance with every superclass of its classes, so that `?x a ctkg:MedicinalProduct` finds
    a CAR-T product without property paths. Added in the graph of the source that typed it."""
    for node, cls in list(src.graph.subject_objects(RDF.type)):
        for sup in closure.get(str(cls), ()):
            src.graph.add((node, RDF.type, URIRef(sup)))


class Cache:
    """Compiled files under one directory: `<key>.nq` (the graph) and `<key>.json` (the rest)."""

    def __init__(self, root: Path | None):
        self.root = root

    def quads_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.nq"

    def meta_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, path: str, key: str) -> Compiled | None:
        if self.root is None or not self.quads_path(key).exists():
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
        if self.root is None or not self.root.exists():
            return set()
        return {p.stem for p in self.root.glob("*/*.json")}

    def remove(self, key: str) -> None:
        for target in (self.meta_path(key), self.quads_path(key)):
            target.unlink(missing_ok=True)


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


# --- worker processes ---

_worker: dict = {}


def _start_worker(context: Context, cache_root: str | None) -> None:
    _worker["context"] = context
    _worker["cache"] = Cache(Path(cache_root) if cache_root else None)
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


def compile_all(
    paths: list[Path],
    context: Context,
    cache: Cache,
    reuse: bool = True,
    workers: int = 0,
    progress: Callable[[str], None] = lambda _: None,
    known: dict[str, dict] | None = None,
) -> list[Compiled]:
    """Every file compiled (from the cache when `reuse` and the key is there), in the order of `paths`.

    `known` ({path: {"key", "source"}}, from the previous build) names files whose compiled form is only
    loaded from the cache when asked for (`Compiled.records` is None until then). Raises the FactsError of
    the first bad file in order. The compiled quads are in `cache`; `workers` 0 means one per core, 1 means
    in this process."""
    keys = [context.key(path.read_bytes()) for path in paths]
    known = known or {}
    results: list[Compiled | None] = []
    for path, key in zip(paths, keys):
        if reuse and known.get(str(path), {}).get("key") == key and cache.quads_path(key).exists():
            results.append(Compiled(str(path), key, known[str(path)]["source"], None, None, None, cached=True))
        else:
            results.append(cache.get(str(path), key) if reuse else None)
    todo = [i for i, r in enumerate(results) if r is None]
    size = sum(paths[i].stat().st_size for i in todo)
    workers = workers or len(os.sched_getaffinity(0))
    if todo:
        progress(f"reading and checking {len(todo)} of {len(paths)} facts file(s)"
                 + (f" in {min(workers, len(todo))} processes" if workers > 1 and size >= PARALLEL_MIN_BYTES else ""))
    errors: dict[int, BaseException] = {}
    if workers > 1 and len(todo) > 1 and size >= PARALLEL_MIN_BYTES:
        # forkserver: a clean child even when this process holds open stores and their threads.
        mp = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=mp, initializer=_start_worker,
                                 initargs=(context, str(cache.root))) as pool:
            futures = {i: pool.submit(_compile_task, str(paths[i]), keys[i]) for i in todo}
            for done, (i, future) in enumerate(futures.items(), 1):
                try:
                    results[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - kept and re-raised in file order below
                    errors[i] = exc
                if done % 100 == 0:
                    progress(f"checked {done}/{len(todo)} facts files")
    else:
        shapes = _local_shapes(context)
        for n, i in enumerate(todo, 1):
            progress(f"reading facts {n}/{len(todo)}: {paths[i]}")
            try:
                compiled, nquads = compile_file(paths[i], keys[i], context, shapes)
            except Exception as exc:  # noqa: BLE001 - the first bad file in order is raised below
                errors[i] = exc
                break
            cache.put(compiled, nquads)
            results[i] = compiled
    if errors:
        raise errors[min(errors)]
    return [r for r in results if r is not None]

