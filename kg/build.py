"""The build: read the ontology and every facts file, validate the whole, and publish it to the store.

Nothing is written to the served graph unless everything parses and conforms; a build that fails, or
dies half-way, leaves the previous graph in place (see `kg.store`).

Each facts file is compiled on its own (`kg.sources`: read, typed, checked against the local shapes,
serialized, cached by content). A full build loads every file into a fresh store; an incremental build
starts from a checkpoint of the current build and replaces only the graphs of the files that changed.
Either way the checks that span files run on the new store: the `sh:class` constraints, the nodes stated by
several files, and the QC queries. An incremental build checks the nodes of the changed files and the
nodes that link to them; every other node is as it was in the previous build, which conformed.
"""

import functools
import io
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from . import __version__
from .errors import BuildError, StoreError
from .facts import FactRecord, SourceFacts, facts_files, read_facts
from .oxutil import from_ox, to_ox_quads
from .settings import Settings
from .sources import Cache, Compiled, Context, compile_all
from .sources import add_inferred_types as _type_source
from .sources import superclasses as _superclasses
from .store import StoreLayout, mirror_into_default, named_quads, unmirror_from_default
from .validate import (
    Finding,
    ShapePlan,
    ValidationResult,
    class_findings,
    load_shapes,
    plan_shapes,
    qc_findings,
    result_of,
    shacl_findings,
    validate,
)
from .vocab import ONTOLOGY_IRI, PREFIXES

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Inputs:
    """Everything a build reads, parsed into memory (what `check` validates in one piece)."""

    ontology: Graph
    sources: list[SourceFacts]
    records: dict[URIRef, list[FactRecord]] = field(default_factory=dict)

    def union(self) -> Graph:
        """Every fact of every source plus the ontology, as one graph (what SHACL sees)."""
        union = Graph()
        for prefix, ns in PREFIXES.items():
            union.bind(prefix, ns)
        for triple in self.ontology:
            union.add(triple)
        for src in self.sources:
            for triple in src.graph:
                union.add(triple)
        return union

    def named_graphs(self) -> list[tuple[URIRef, Graph]]:
        return [(ONTOLOGY_IRI, self.ontology)] + [(src.source, src.graph) for src in self.sources]


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
    phases: dict[str, float] = field(default_factory=dict)  # wall clock: setup, compile, load, check, publish


def load_ontology(ontology_dir: Path) -> Graph:
    ontology = Graph()
    for path in sorted(ontology_dir.glob("*.ttl")):
        ontology.parse(path, format="turtle")
    if (ONTOLOGY_IRI, RDF.type, OWL.Ontology) not in ontology:
        raise BuildError(f"{ontology_dir}: no file declares the ontology <{ONTOLOGY_IRI}>")
    return ontology


def superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Each named class with all its named superclasses (transitively), from rdfs:subClassOf."""
    return _superclasses(ontology)


def add_inferred_types(sources: list[SourceFacts], ontology: Graph) -> None:
    """Type each instance with every superclass of its classes (see `kg.sources.add_inferred_types`)."""
    closure = {str(c): [str(s) for s in sups] for c, sups in superclasses(ontology).items()}
    for src in sources:
        _type_source(src, closure)


def read_inputs(settings: Settings, progress: Progress = _quiet) -> Inputs:
    """Parse the ontology and every facts file; raises FactsError or BuildError on the first bad file."""
    ontology = load_ontology(settings.ontology_dir)
    paths = _paths(settings)
    sources = []
    for i, path in enumerate(paths, 1):
        progress(f"reading facts {i}/{len(paths)}: {path}")
        sources.append(read_facts(path))
    add_inferred_types(sources, ontology)
    inputs = Inputs(ontology, sources)
    for src in sources:
        for node, record in src.records.items():
            inputs.records.setdefault(node, []).append(record)
    _unique_sources((str(src.path), str(src.source)) for src in sources)
    return inputs


def check(inputs: Inputs, shapes: Graph, store: ox.Store | None = None, union: Graph | None = None) -> ValidationResult:
    """The reference validation: pySHACL (whatever engine builds use) on the union of all sources, and the
    QC queries."""
    return validate(union if union is not None else inputs.union(), shapes, inputs.records, store)


def _paths(settings: Settings) -> list[Path]:
    paths = facts_files(settings.data_dir)
    if not paths:
        raise BuildError(f"{settings.data_dir}: no facts files (*.yaml) to build from")
    return paths


def _unique_sources(pairs: Iterable[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for path, source in pairs:
        if source in seen:
            raise BuildError(f"{path}: source id <{source}> is already used by {seen[source]}; "
                             "give each facts file its own source id")
        seen[source] = path


# --- the build ---


@dataclass
class _Run:
    """One build in progress: its inputs, the files compiled, and what has been measured."""

    settings: Settings
    ontology: Graph
    plan: ShapePlan
    context: Context
    cache: Cache
    files: list[Compiled]  # in the order of facts_files; unchanged files may be loaded lazily
    seconds: dict[str, float] = field(default_factory=dict)
    progress: Progress = _quiet

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


def build(settings: Settings, progress: Progress = _quiet, full: bool = False) -> BuildReport:
    """Read, validate and publish; raises FactsError, BuildError (with the validation report) on failure.

    Incremental when the current build was made from the same ontology, shapes and code (and `full` is
    not set): only the files that changed are read, checked and reloaded."""
    t0 = time.perf_counter()
    ontology = load_ontology(settings.ontology_dir)
    shapes = load_shapes(settings.shapes_dir)
    plan = plan_shapes(shapes, settings.shacl_engine)
    context = Context.make(settings.ontology_dir, settings.shapes_dir, ontology, plan)
    layout = StoreLayout(settings.store_dir)
    previous_dir, previous = (None, None) if full else _previous(layout, context)
    paths = _paths(settings)

    t1 = time.perf_counter()
    cache = Cache(layout.cache)
    known = previous["files"] if previous else {}
    files = compile_all(paths, context, cache, reuse=not full, workers=settings.build_workers,
                        progress=progress, known=known)
    _unique_sources((c.path, c.source) for c in files)
    run = _Run(settings, ontology, plan, context, cache, files, progress=progress)
    if previous is not None and not _can_update(run, previous):
        progress("the previous build's compiled files are gone from the cache: a full build")
        previous = None
    run.seconds["compile"] = time.perf_counter() - t1
    run.seconds["setup"] = t1 - t0

    build_dir = layout.new_build_dir()
    try:
        if previous is not None:
            counts = _update(run, layout, previous_dir, previous, build_dir)
        else:
            counts = _fresh(run, build_dir)
    except BaseException as exc:
        # Frames kept by the traceback may still hold the new store open; release them before removing it.
        traceback.clear_frames(exc.__traceback__)
        layout.discard(build_dir)
        raise
    mode = "incremental" if previous is not None else "full"
    t2 = time.perf_counter()
    layout.publish(build_dir, {
        "ctkg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build": mode,
        "quads": counts["quads"],
        "triples": counts["triples"],
        "sources": sorted(c.source for c in files),
        "files": sorted(c.path for c in files),
    }, inputs={
        "fingerprint": context.fingerprint,
        "quads": counts["quads"],
        "triples": counts["triples"],
        "files": {c.path: {"key": c.key, "source": c.source} for c in files},
    })
    _prune_cache(layout, cache)
    run.seconds["publish"] = time.perf_counter() - t2
    run.seconds["total"] = time.perf_counter() - t0
    compiled = [c for c in files if not c.cached]
    progress(f"published {build_dir.name} ({mode}): {counts['quads']} quads in {len(files)} source graph(s)")
    cpu = {k: sum(c.cpu.get(k, 0.0) for c in compiled) for k in ("parse", "validate", "write")}
    return BuildReport(build_dir, counts["triples"], counts["quads"], len(files), _split(run.seconds, cpu),
                       mode=mode, compiled=len(compiled), changed=counts["changed"], cpu=cpu, phases=run.seconds)


def _split(seconds: dict[str, float], cpu: dict[str, float]) -> dict[str, float]:
    """Wall-clock seconds as parse / validate / load / total. The files compile in parallel, each doing all
    three, so that phase is split in proportion to its CPU time; the graph-wide checks count as validate,
    the store's writes (and the checkpoint) as load."""
    spent = sum(cpu.values())
    compile_s = seconds.get("compile", 0.0)
    share = {k: (v / spent if spent else 0.0) for k, v in cpu.items()}
    parse = seconds.get("setup", 0.0) + compile_s * (share.get("parse", 0.0) if spent else 1.0)
    return {
        "parse": parse,
        "validate": compile_s * share.get("validate", 0.0) + seconds.get("check", 0.0),
        "load": compile_s * share.get("write", 0.0) + seconds.get("load", 0.0) + seconds.get("publish", 0.0),
        "total": seconds["total"],
    }


def _previous(layout: StoreLayout, context: Context) -> tuple[Path | None, dict | None]:
    """The current build and its inputs, when an incremental build can start from it."""
    try:
        current = layout.current_build()
    except StoreError:  # no build yet: a full build
        return None, None
    inputs = layout.inputs(current)
    if not inputs or inputs.get("fingerprint") != context.fingerprint or not (current / "oxigraph").exists():
        return None, None
    return current, inputs


class _Concatenated(io.RawIOBase):
    """Several binary files read as one stream, so that one bulk load takes them all. A part is a path, an
    open binary file, or a function that returns one of these."""

    def __init__(self, parts: list):
        self.parts = parts
        self.current = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self.current is None:
                if not self.parts:
                    return 0
                part = self.parts.pop(0)
                if callable(part):  # a part made when its turn comes, so one file is in memory at a time
                    part = part()
                self.current = open(part, "rb") if isinstance(part, Path) else part  # noqa: SIM115
            n = self.current.readinto(buffer)
            if n:
                return n
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        super().close()


def _as_triples(nquads: bytes, graph: str) -> io.BytesIO:
    """One graph's N-Quads, as we serialize them (`<s> <p> <o> <graph> .` a line; a newline in a literal is
    escaped), turned into N-Triples by cutting the graph name off each line's end: the bulk loader then
    fills the default graph with no Python object per triple. Lines that do not all end so are parsed."""
    ending = f" <{graph}> .\n".encode()
    if nquads.count(b"\n") == nquads.count(ending):
        return io.BytesIO(nquads.replace(ending, b" .\n"))
    triples = (q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return io.BytesIO(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def _bulk_load(store: ox.Store, parts: list) -> None:
    if parts:
        with io.BufferedReader(_Concatenated(parts), buffer_size=1 << 20) as stream:
            store.bulk_load(stream, format=ox.RdfFormat.N_QUADS)


def _fresh(run: _Run, build_dir: Path) -> dict[str, int]:
    """A full build: every graph loaded into a new store, then every check on the whole graph."""
    run.progress("loading into a fresh store")
    t0 = time.perf_counter()
    store = ox.Store(str(build_dir / "oxigraph"))
    try:
        ontology = ox.serialize(to_ox_quads(run.ontology, ONTOLOGY_IRI), format=ox.RdfFormat.N_QUADS)
        _bulk_load(store, [io.BytesIO(ontology)] + [run.cache.quads_path(c.key) for c in run.files])
        # The default graph (see kg.store): the same files, each quad's graph name cut off, loaded as triples.
        _bulk_load(store, [lambda: _as_triples(ontology, str(ONTOLOGY_IRI))] + [
            (lambda c=c: _as_triples(run.cache.quads_path(c.key).read_bytes(), c.source)) for c in run.files])
        run.seconds["load"] = time.perf_counter() - t0

        run.progress("validating the graph: classes of linked nodes, nodes stated by several files, quality checks")
        t1 = time.perf_counter()
        graphs_of: dict[str, list[str]] = {}
        for part in [run.part(str(ONTOLOGY_IRI))] + [run.part(c.source) for c in run.files]:
            for subject in part.subjects:
                graphs_of.setdefault(subject, []).append(part.source)

        result, counted = _check_graph(run, store, graphs_of, foci=None,
                                       meanwhile=functools.partial(_counts, store, len(run.files)))
        if not result.conforms:
            raise BuildError(result.text)
        run.seconds["check"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        store.flush()
        store.optimize()
        run.seconds["load"] += time.perf_counter() - t2
        return counted
    finally:
        del store  # closes the database, even when a traceback keeps this frame alive


def _can_update(run: _Run, previous: dict) -> bool:
    """Whether the cache still holds the previous version of every changed or removed file."""
    return all(run.cache.meta_path(f["key"]).exists() for path, f in previous["files"].items()
               if path not in run.order or run.files[run.order[path]].key != f["key"])


def _counts(store: ox.Store, changed: int) -> dict[str, int]:
    (row,) = store.query("SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }")
    return {"quads": len(store), "triples": int(row["n"].value), "changed": changed}


def _update(run: _Run, layout: StoreLayout, previous_dir: Path, previous: dict, build_dir: Path) -> dict[str, int]:
    """An incremental build: the previous store, with the graphs of changed and removed files replaced."""
    before = previous["files"]
    changed = [c for c in run.files if before.get(c.path, {}).get("key") != c.key]
    removed = [p for p in before if p not in run.order]
    graphs_out = {before[p]["source"] for p in removed} | {before[c.path]["source"] for c in changed if c.path in before}
    graphs_in = {c.source for c in changed}
    # Every subject the change can touch: those of the new files, and those the old versions stated.
    affected: set[str] = set()
    for c in changed:
        affected.update(run.part(c.source).subjects)
    for path in removed + [c.path for c in changed if c.path in before]:
        old = run.cache.get(path, before[path]["key"])
        if old is None:
            raise BuildError(f"the compiled form of the previous {path} is missing from {run.cache.root}; "
                             "run `ctkg build --full`")
        affected.update(old.subjects)
    run.progress(f"updating the previous build: {len(changed)} changed, {len(removed)} removed file(s)")

    t0 = time.perf_counter()
    layout.checkpoint(previous_dir, build_dir / "oxigraph")
    store = ox.Store(str(build_dir / "oxigraph"))
    try:
        lost_quads, lost = _leaving(store, graphs_out)
        for graph in sorted(graphs_out):
            store.remove_graph(ox.NamedNode(graph))
        _bulk_load(store, [run.cache.quads_path(c.key) for c in changed])
        unmirror_from_default(store, lost)  # only these can have lost their last named graph
        mirror_into_default(store, [ox.NamedNode(graph) for graph in sorted(graphs_in)])
        gained_quads, gained = _leaving(store, graphs_in)
        run.seconds["load"] = time.perf_counter() - t0

        run.progress(f"validating the {len(affected)} node(s) of the changed files and the nodes linking to them")
        t1 = time.perf_counter()
        nodes = [_term(s) for s in affected]
        graphs_of = {s.value: sorted({q.graph_name.value for q in named_quads(store, s)})
                     for s in nodes}
        linking = {q.subject for node in nodes if not isinstance(node, ox.Literal)
                   for q in named_quads(store, None, None, node)}
        result, _ = _check_graph(run, store, graphs_of, foci=set(nodes) | linking)
        if not result.conforms:
            raise BuildError(result.text)
        run.seconds["check"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        store.flush()
        run.seconds["load"] += time.perf_counter() - t2
        triples = previous["triples"] - len(lost) + len(gained)
        # The quads are those of the named graphs plus the default graph, which holds each distinct triple once.
        return {"quads": previous["quads"] - previous["triples"] - lost_quads + gained_quads + triples,
                "triples": triples, "changed": len(changed)}
    finally:
        del store


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


def _term(iri: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(iri[2:]) if iri.startswith("_:") else ox.NamedNode(iri)


def _check_graph(run: _Run, store: ox.Store, graphs_of: dict[str, list[str]], foci: set | None,
                 meanwhile: Callable[[], object] = lambda: None) -> tuple[ValidationResult, object]:
    """Every check that the build owes `graphs_of` (subject -> the graphs that state it): local findings of
    single-file nodes from their file, nodes of several files checked on all their triples, the sh:class
    checks (on `foci` only, or on everything), and the QC queries on the whole store.

    The QC queries and `meanwhile` run in a thread: pyoxigraph releases the GIL while it evaluates, so they
    overlap with the Python-bound checks. Returns the result and what `meanwhile` returned."""
    with ThreadPoolExecutor(1) as beside:
        qc = beside.submit(lambda: (qc_findings(store), meanwhile()))
        if run.plan.local:
            shacl = _local_findings(run, store, graphs_of) + class_findings(store, run.plan.class_checks, foci)
        else:
            run.progress(f"the shapes are not local ({run.plan.reason}): validating the whole graph in one piece")
            shacl = shacl_findings(_graph_of(store, None), run.plan.shapes, inplace=True, engine=run.plan.engine)
        qc_found, extra = qc.result()
    return result_of(shacl, qc_found, lambda focus: _locate(run, store, focus)), extra


def _local_findings(run: _Run, store: ox.Store, graphs_of: dict[str, list[str]]) -> list[Finding]:
    single: dict[str, set[str]] = {}  # graph -> its subjects stated by that graph only
    shared = []
    for subject, graphs in graphs_of.items():
        if len(graphs) == 1:
            single.setdefault(graphs[0], set()).add(subject)
        elif len(graphs) > 1:
            shared.append(subject)
    out = []
    for graph, subjects in single.items():
        part = run.part(graph)
        if part is not None:
            out += [f for f in part.findings if f.focus in subjects]
    if shared:
        run.progress(f"checking {len(shared)} node(s) stated by several files on all their triples")
        together = set(shared)
        out += [f for f in run.plan.local_findings(_graph_of(store, shared)) if f.focus in together]
    return out


def _graph_of(store: ox.Store, subjects: list[str] | None) -> Graph:
    """The triples of `subjects` (or of everything) in every graph of the store, as one rdflib graph."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    if subjects is None:
        quads = store.quads_for_pattern(None, None, None)
    else:
        quads = (q for s in subjects for q in store.quads_for_pattern(_term(s), None, None))
    for quad in quads:
        graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return graph


def _locate(run: _Run, store: ox.Store, focus: str) -> tuple[str, str]:
    """The facts files and facts that state `focus`, in the order the files are read (as `where` does)."""
    graphs = {q.graph_name.value for q in named_quads(store, _term(focus))}
    stated = []
    for graph in graphs:
        part = run.part(graph)
        if part is not None and part.path and focus in part.records:
            stated.append((run.order[part.path], part.path, part.records[focus]))
    stated.sort()
    return "; ".join(sorted({path for _, path, _ in stated})), "; ".join(where for _, _, where in stated)


def _prune_cache(layout: StoreLayout, cache: Cache) -> None:
    """Drop compiled files that no build on disk refers to."""
    wanted = {f["key"] for inputs in layout.kept_inputs() for f in inputs.get("files", {}).values()}
    for key in cache.keys() - wanted:
        cache.remove(key)
