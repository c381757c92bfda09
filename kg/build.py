"""The build: read the ontology and every facts file, validate the whole, and publish it to the store.

Nothing is written to the served graph unless everything parses and conforms; a build that fails, or
dies half-way, leaves the previous graph in place (see `kg.store`).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import __version__
from .errors import BuildError
from .facts import FactRecord, SourceFacts, facts_files, read_facts
from .oxutil import to_ox_quads
from .settings import Settings
from .store import StoreLayout
from .validate import ValidationResult, load_shapes, validate
from .vocab import ONTOLOGY_IRI, PREFIXES

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Inputs:
    """Everything a build reads, parsed."""

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
    seconds: dict[str, float]


def load_ontology(ontology_dir: Path) -> Graph:
    ontology = Graph()
    for path in sorted(ontology_dir.glob("*.ttl")):
        ontology.parse(path, format="turtle")
    if (ONTOLOGY_IRI, RDF.type, OWL.Ontology) not in ontology:
        raise BuildError(f"{ontology_dir}: no file declares the ontology <{ONTOLOGY_IRI}>")
    return ontology


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


def add_inferred_types(sources: list[SourceFacts], ontology: Graph) -> None:
    """Type each instance with every superclass of its classes, so that `?x a ctkg:MedicinalProduct` finds
    a CAR-T product without property paths. Added in the graph of the source that typed it."""
    closure = superclasses(ontology)
    for src in sources:
        for node, cls in list(src.graph.subject_objects(RDF.type)):
            for sup in closure.get(cls, ()):
                src.graph.add((node, RDF.type, sup))


def read_inputs(settings: Settings, progress: Progress = _quiet) -> Inputs:
    """Parse the ontology and every facts file; raises FactsError or BuildError on the first bad file."""
    ontology = load_ontology(settings.ontology_dir)
    paths = facts_files(settings.data_dir)
    if not paths:
        raise BuildError(f"{settings.data_dir}: no facts files (*.yaml) to build from")
    sources = []
    for i, path in enumerate(paths, 1):
        progress(f"reading facts {i}/{len(paths)}: {path}")
        sources.append(read_facts(path))
    add_inferred_types(sources, ontology)
    inputs = Inputs(ontology, sources)
    for src in sources:
        for node, record in src.records.items():
            inputs.records.setdefault(node, []).append(record)
    seen: dict[URIRef, Path] = {}
    for src in sources:
        if src.source in seen:
            raise BuildError(f"{src.path}: source id <{src.source}> is already used by {seen[src.source]}; "
                             "give each facts file its own source id")
        seen[src.source] = src.path
    return inputs


def check(inputs: Inputs, shapes: Graph, store: ox.Store | None = None, union: Graph | None = None) -> ValidationResult:
    return validate(union if union is not None else inputs.union(), shapes, inputs.records, store)


def _write_and_check(inputs: Inputs, shapes: Graph, build_dir: Path, seconds: dict[str, float],
                     progress: Progress) -> tuple[int, int]:
    """Load every graph into a new store in `build_dir` and validate; returns (quads, triples).

    The store is closed before this returns or raises, so the caller can delete the directory."""
    progress("loading into a fresh store")
    t1 = time.perf_counter()
    store = ox.Store(str(build_dir / "oxigraph"))
    try:
        for name, graph in inputs.named_graphs():
            store.bulk_extend(to_ox_quads(graph, name))
        seconds["load"] = time.perf_counter() - t1

        progress("validating against the shapes and quality checks")
        t2 = time.perf_counter()
        union = inputs.union()
        result = check(inputs, shapes, store, union)
        seconds["validate"] = time.perf_counter() - t2
        if not result.conforms:
            raise BuildError(result.text)
        store.flush()
        store.optimize()
        return len(store), len(union)
    finally:
        del store  # closes the database, even when a traceback keeps this frame alive


def build(settings: Settings, progress: Progress = _quiet) -> BuildReport:
    """Read, validate and publish; raises FactsError, BuildError (with the validation report) on failure."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    inputs = read_inputs(settings, progress)
    shapes = load_shapes(settings.shapes_dir)
    seconds["parse"] = time.perf_counter() - t0

    layout = StoreLayout(settings.store_dir)
    build_dir = layout.new_build_dir()
    try:
        quads, triples = _write_and_check(inputs, shapes, build_dir, seconds, progress)
    except BaseException:
        layout.discard(build_dir)
        raise
    layout.publish(build_dir, {
        "ctkg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quads": quads,
        "triples": triples,
        "sources": sorted(str(src.source) for src in inputs.sources),
        "files": sorted(str(src.path) for src in inputs.sources),
    })
    seconds["total"] = time.perf_counter() - t0
    progress(f"published {build_dir.name}: {quads} quads in {len(inputs.sources)} source graph(s)")
    return BuildReport(build_dir, triples, quads, len(inputs.sources), seconds)
