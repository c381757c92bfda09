"""Validation of a compiled graph in its store: the one pipeline that `ctkg build` and `ctkg validate` run.

A graph is compiled (`kg.compile`), loaded into a store (`kg.store`), then `check`ed against its
`ShapePlan` and the quality checks (`kg.quality`); every finding is traced back to the facts file and the
fact that stated its focus node (`kg.findings`).

- `ctkg build` plans the shapes for its engine (`kg.shape_plan.plan_shapes`): each file's local findings
  come from its compilation, `sh:class` becomes lookups on the store, and nodes stated by several files
  are checked on all their triples. An incremental build checks only the nodes the change can touch.
- `ctkg validate` (`validate`) runs the reference: pySHACL on the whole graph in one piece, in a store in
  memory, with nothing written to the build's store or cache.
The tests compare the two on every breakage they make.
"""

import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .compile import Cache, Compilation, Context, compile_facts
from .findings import Finding, ValidationResult, result_of
from .ontology import load_ontology
from .oxutil import from_ox, node
from .quality import LABEL_COLLISION, qc_findings
from .settings import Settings
from .shacl import REFERENCE_ENGINE, load_shapes, shacl_findings
from .shape_plan import class_findings, whole_graph_plan
from .store import load_graphs, named_quads
from .vocab import PREFIXES

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def validate(settings: Settings, progress: Progress = _quiet) -> ValidationResult:
    """The reference validation of the facts under `settings.data_dir`: every file compiled and loaded into a
    store in memory, then checked by pySHACL on the whole graph and by the quality checks. Raises FactsError
    or BuildError as a build does."""
    ontology = load_ontology(settings.ontology_dir)
    plan = whole_graph_plan(load_shapes(settings.shapes_dir), REFERENCE_ENGINE)
    context = Context.make(settings.ontology_dir, settings.shapes_dir, ontology, plan)
    with tempfile.TemporaryDirectory(prefix="ctkg-validate-") as scratch:
        compilation = compile_facts(settings.data_dir, ontology, plan, context, Cache(Path(scratch)), reuse=False,
                                    workers=settings.build_workers, progress=progress)
        store = ox.Store()
        load_graphs(store, compilation.graphs())
        return check(compilation, store, progress=progress)


def check(compilation: Compilation, store: ox.Store, changed: Iterable[str] | None = None,
          progress: Progress = _quiet, collisions: Callable[[], list[Finding]] | None = None) -> ValidationResult:
    """Every check the graph in `store` owes: the whole graph, or with `changed` only the nodes that a change
    can touch (the subjects `changed` names, and the nodes linking to them).

    With a local plan: findings of single-file nodes from their file's compilation, nodes of several files
    checked on all their triples, and the sh:class checks on the store; otherwise the plan's engine on the
    whole graph. The quality checks run in a thread (pyoxigraph releases the GIL while it evaluates, so they
    overlap with the Python-bound checks), on the whole store, or with `changed` on the nodes it touches.
    `collisions`, when given, finds the shared names instead of `label-collision-violation.rq` (a build reads
    them from its search index)."""
    plan = compilation.plan
    if changed is None:
        foci = None
        graphs_of: dict[str, list[str]] = {}
        for part in compilation.parts():
            for subject in part.subjects:
                graphs_of.setdefault(subject, []).append(part.source)
    else:
        nodes = [node(s) for s in changed]
        graphs_of = {n.value: sorted({q.graph_name.value for q in named_quads(store, n)}) for n in nodes}
        foci = set(nodes) | {q.subject for n in nodes for q in named_quads(store, None, None, n)}
    with ThreadPoolExecutor(1) as beside:
        qc = beside.submit(qc_findings, store, foci, skip=() if collisions is None else (LABEL_COLLISION,))
        if plan.local:
            shacl = _local_findings(compilation, store, graphs_of, progress)
            shacl += class_findings(store, plan.class_checks, foci)
        else:
            why = f" (the shapes are not local: {plan.reason})" if plan.reason else ""
            progress(f"checking the whole graph in one piece with {plan.engine}{why}")
            shacl = shacl_findings(_graph_of(store, None), plan.shapes, inplace=True, engine=plan.engine)
        qc_found = qc.result() + (collisions() if collisions is not None else [])
    return result_of(shacl, qc_found, lambda focus: _locate(compilation, store, focus))


def _local_findings(compilation: Compilation, store: ox.Store, graphs_of: dict[str, list[str]],
                    progress: Progress) -> list[Finding]:
    single: dict[str, set[str]] = {}  # graph -> its subjects stated by that graph only
    shared = []
    for subject, graphs in graphs_of.items():
        if len(graphs) == 1:
            single.setdefault(graphs[0], set()).add(subject)
        elif len(graphs) > 1:
            shared.append(subject)
    out = []
    for graph, subjects in single.items():
        part = compilation.part(graph)
        if part is not None:
            out += [f for f in part.findings if f.focus in subjects]
    if shared:
        progress(f"checking {len(shared)} node(s) stated by several files on all their triples")
        together = set(shared)
        out += [f for f in compilation.plan.local_findings(_graph_of(store, shared)) if f.focus in together]
    return out


def _graph_of(store: ox.Store, subjects: list[str] | None) -> Graph:
    """The triples of `subjects` (or of everything) in the union of the store's graphs, as one rdflib graph."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    union = ox.DefaultGraph()
    if subjects is None:
        quads = store.quads_for_pattern(None, None, None, union)
    else:
        quads = (q for s in subjects for q in store.quads_for_pattern(node(s), None, None, union))
    for quad in quads:
        graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return graph


def _locate(compilation: Compilation, store: ox.Store, focus: str) -> tuple[str, str]:
    """The facts files and facts that state `focus`, in the order the files are read."""
    graphs = {q.graph_name.value for q in named_quads(store, node(focus))}
    stated = []
    for graph in graphs:
        part = compilation.part(graph)
        if part is not None and part.path and focus in part.records:
            stated.append((compilation.order[part.path], part.path, part.records[focus]))
    stated.sort()
    return "; ".join(sorted({path for _, path, _ in stated})), "; ".join(where for _, _, where in stated)
