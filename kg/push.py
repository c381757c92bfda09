"""`ctkg push`: load the current build into a SPARQL server by the SPARQL 1.1 Graph Store Protocol.

Graph by graph: each named graph of the build (the ontology's and one per source) is replaced with a PUT
of its N-Triples, then the default graph with the union of them all as a set (what the embedded store's
default graph holds, so queries count alike on both), then the graphs that an earlier push loaded and
this build no longer has are deleted. Last comes the dataset record: a small VoID graph, `DATASET`,
naming the build, when it was built, and how many triples each graph holds; the API reads it in remote
mode for /stats, /health and the service description. Graphs that no push loaded are never touched.

A push is not one transaction: a reader can see the new graphs beside the old ones while it runs. The
production layout (README) pushes to a server that takes no public queries yet, then switches.
"""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from .errors import PushError
from .oxutil import to_ox
from .settings import Settings
from .store import open_read_only, read_manifest
from .vocab import DATASET, ONTOLOGY_IRI

N_TRIPLES = "application/n-triples"


@dataclass
class PushReport:
    build: str
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI (or "default") -> triples sent
    deleted: list[str] = field(default_factory=list)


def _counted(triples: Iterable[ox.Triple], counter: list[int]) -> Iterator[ox.Triple]:
    for triple in triples:
        counter[0] += 1
        yield triple


class GraphStore:
    """A Graph Store Protocol endpoint: PUT, GET and DELETE of one graph at a time."""

    def __init__(self, url: str, timeout_s: float = 600):
        self.url = url
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=10), trust_env=False)

    @staticmethod
    def _target(graph: ox.NamedNode | None) -> dict[str, str]:
        return {"graph": graph.value} if graph is not None else {"default": ""}

    def _request(self, method: str, graph: ox.NamedNode | None, **kwargs) -> httpx.Response:
        name = f"<{graph.value}>" if graph is not None else "the default graph"
        try:
            response = self.client.request(method, self.url, params=self._target(graph), **kwargs)
        except httpx.HTTPError as exc:
            raise PushError(f"{method} {name} to the graph store at {self.url} failed ({exc.__class__.__name__}: "
                            f"{exc}). Is the SPARQL server running, and is CTKG_GRAPH_STORE (--to) its Graph "
                            "Store Protocol address (Oxigraph: http://host:7878/store)?") from None
        if response.status_code >= 400 and not (method in ("GET", "DELETE") and response.status_code == 404):
            raise PushError(f"{method} {name} to the graph store at {self.url} was refused: HTTP "
                            f"{response.status_code} {response.text.strip()[:300]}. A read-only server (oxigraph "
                            "serve-read-only) cannot be pushed to; push to the writer, then serve its copy.")
        return response

    def put(self, graph: ox.NamedNode | None, triples: Iterable[ox.Triple]) -> int:
        """Replace the graph with `triples`; returns how many were sent."""
        counter = [0]
        with tempfile.TemporaryFile() as body:
            ox.serialize(_counted(triples, counter), body, format=ox.RdfFormat.N_TRIPLES)
            body.seek(0)
            self._request("PUT", graph, content=body, headers={"Content-Type": N_TRIPLES})
        return counter[0]

    def get(self, graph: ox.NamedNode) -> list[ox.Triple]:
        """The graph's triples, or none when the store does not have it."""
        response = self._request("GET", graph, headers={"Accept": N_TRIPLES})
        if response.status_code == 404:
            return []
        try:
            return [quad.triple for quad in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
        except SyntaxError as exc:
            raise PushError(f"The graph store at {self.url} answered GET <{graph.value}> with something that "
                            f"is not N-Triples ({exc}).") from None

    def delete(self, graph: ox.NamedNode) -> None:
        self._request("DELETE", graph)

    def close(self) -> None:
        self.client.close()


def dataset_record(build: str, built_at: str, default_triples: int, graphs: dict[str, int]) -> list[ox.Triple]:
    """The VoID description of a pushed build (the graph `DATASET`)."""
    dataset = to_ox(DATASET)
    triples = [
        ox.Triple(dataset, to_ox(RDF.type), to_ox(VOID.Dataset)),
        ox.Triple(dataset, to_ox(DCTERMS.identifier), ox.Literal(build)),
        ox.Triple(dataset, to_ox(DCTERMS.modified), ox.Literal(built_at, datatype=to_ox(XSD.dateTime))),
        ox.Triple(dataset, to_ox(VOID.triples), ox.Literal(str(default_triples), datatype=to_ox(XSD.integer))),
    ]
    for iri, count in graphs.items():
        graph = ox.NamedNode(iri)
        triples += [ox.Triple(dataset, to_ox(VOID.subset), graph),
                    ox.Triple(graph, to_ox(VOID.triples), ox.Literal(str(count), datatype=to_ox(XSD.integer)))]
    return triples



def pushed_graphs(record: list[ox.Triple]) -> set[str]:
    """The graphs an earlier push recorded in its dataset record."""
    subset = to_ox(VOID.subset)
    return {t.object.value for t in record if t.predicate == subset and isinstance(t.object, ox.NamedNode)}


def push(settings: Settings, graph_store: str, progress: Callable[[str], None] = lambda _: None) -> PushReport:
    """Load the current build of `settings.store_dir` into the Graph Store Protocol endpoint `graph_store`."""
    if not graph_store:
        raise PushError("No graph store to push to: give --to http://host:7878/store (Oxigraph) or set "
                        "CTKG_GRAPH_STORE.")
    store, build_dir = open_read_only(settings.store_dir)
    manifest = read_manifest(build_dir)
    report = PushReport(build=Path(build_dir).name)
    remote = GraphStore(graph_store)
    try:
        earlier = pushed_graphs(remote.get(to_ox(DATASET)))
        names = sorted(store.named_graphs(), key=lambda g: (g.value != str(ONTOLOGY_IRI), g.value))
        for number, graph in enumerate(names, 1):
            quads = store.quads_for_pattern(None, None, None, graph)
            report.graphs[graph.value] = remote.put(graph, (q.triple for q in quads))
            if number % 100 == 0 or number == len(names):
                progress(f"{number} of {len(names)} named graphs pushed")
        default = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        report.graphs["default"] = remote.put(None, (q.triple for q in default))
        progress(f"default graph pushed: {report.graphs['default']} triples")
        for iri in sorted(earlier - {g.value for g in names}):
            remote.delete(ox.NamedNode(iri))
            report.deleted.append(iri)
        named = {iri: n for iri, n in report.graphs.items() if iri != "default"}
        remote.put(to_ox(DATASET),
                   dataset_record(report.build, manifest["built_at"], report.graphs["default"], named))
    finally:
        remote.close()
    return report
