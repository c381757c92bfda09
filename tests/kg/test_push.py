"""`ctkg push`: a build loaded into a real Oxigraph server on 127.0.0.1 (PyPI `oxigraph`) by the Graph Store
Protocol, graph by graph, with a record of the build; a second push replaces and deletes only its own graphs;
a server that refuses or is not there is an error that says why."""

import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.build import build
from kg.push import VOID, push
from kg.settings import Settings
from kg.store import open_read_only
from kg.vocab import DATASET
from tests.support.data import data_folder
from tests.support.servers import OxigraphServer, free_port

from .conftest import REGULATORS, ROOT, SEED, settings_for

FOREIGN = ox.NamedNode("http://example.org/a-public-dump")


def built_from(tmp: Path, *files: Path) -> Settings:
    """`files` alone, built into a fresh store under `tmp`."""
    settings = settings_for(data_folder(tmp, *files), tmp / "store")
    build(settings)
    return settings


def _graph(server: OxigraphServer, graph: ox.NamedNode | None) -> set[ox.Triple]:
    params = {"graph": graph.value} if graph else {"default": ""}
    response = httpx.get(server.store_url, params=params, headers={"Accept": "application/n-triples"}, timeout=10)
    if response.status_code == 404:
        return set()
    response.raise_for_status()
    return {q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)}


def _local(settings: Settings, graph: ox.NamedNode | ox.DefaultGraph) -> set[ox.Triple]:
    store, _ = open_read_only(settings.store_dir)
    return {q.triple for q in store.quads_for_pattern(None, None, None, graph)}


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Settings:
    """The seed article and the PIC/S applicants list, built into a local store."""
    return built_from(tmp_path_factory.mktemp("push-seed"), SEED, REGULATORS)


@pytest.fixture(scope="module")
def pushed(seed, writer) -> Settings:
    push(seed, writer.store_url)
    return seed


def test_push_loads_every_named_graph_and_the_default_graph(pushed, writer):
    store, _ = open_read_only(pushed.store_dir)
    graphs = list(store.named_graphs())
    assert len(graphs) >= 3  # the ontology, the seed article, the applicants list
    for graph in graphs:
        assert _graph(writer, graph) == _local(pushed, graph), graph
    assert _graph(writer, None) == _local(pushed, ox.DefaultGraph())


def test_push_leaves_a_record_of_the_build(pushed, writer):
    record = _graph(writer, ox.NamedNode(str(DATASET)))
    dataset = ox.NamedNode(str(DATASET))
    values = {(t.subject, t.predicate): t.object for t in record}
    build_name = Path(open_read_only(pushed.store_dir)[1]).name
    assert values[(dataset, ox.NamedNode("http://purl.org/dc/terms/identifier"))].value == build_name
    default_triples = int(values[(dataset, ox.NamedNode(VOID + "triples"))].value)
    assert default_triples == len(_local(pushed, ox.DefaultGraph()))


def test_a_second_push_replaces_and_deletes_only_its_own_graphs(tmp_path, own_writer):
    writer = own_writer
    first = built_from(tmp_path, SEED, REGULATORS)
    push(first, writer.store_url)
    httpx.put(writer.store_url, params={"graph": FOREIGN.value}, content=b"<http://example.org/s> "
              b"<http://example.org/p> \"loaded by someone else\" .\n",
              headers={"Content-Type": "application/n-triples"}, timeout=10).raise_for_status()
    regulators = ox.NamedNode("https://w3id.org/ctkg/id/source/reference-pics-applicants")
    assert _graph(writer, regulators)

    second = built_from(tmp_path / "again", SEED)
    report = push(second, writer.store_url)

    assert report.deleted == [regulators.value]
    assert _graph(writer, regulators) == set()
    assert len(_graph(writer, FOREIGN)) == 1  # a graph no push loaded is never touched
    assert _graph(writer, None) == _local(second, ox.DefaultGraph())


def test_push_to_a_read_only_server_fails_and_says_why(seed, tmp_path):
    location = tmp_path / "db"
    OxigraphServer(location, read_only=False).stop()  # creates the database
    reader = OxigraphServer(location, read_only=True)
    try:
        done = subprocess.run([sys.executable, "-m", "kg.cli", "push", "--to", reader.store_url,
                               "--store", str(seed.store_dir)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        reader.stop()
    assert done.returncode == 2
    assert "refused" in done.stderr and "read-only" in done.stderr and reader.store_url in done.stderr


def test_push_to_no_server_fails_and_says_what_to_check(seed):
    url = f"http://127.0.0.1:{free_port()}/store"
    done = subprocess.run([sys.executable, "-m", "kg.cli", "push", "--to", url, "--store", str(seed.store_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Is the SPARQL server running" in done.stderr and "CTKG_GRAPH_STORE" in done.stderr
