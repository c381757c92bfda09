"""The API over a remote SPARQL server: real Oxigraph servers on 127.0.0.1 (PyPI `oxigraph`) that `ctkg push`
loaded, each test module's own, whatever --backend says (with --backend remote every API test also runs this
way). `ctkg push` itself: tests/kg/test_push.py."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kg.push import push
from kg.store import open_read_only
from tests.support.data import data_folder
from tests.support.queries import RUNAWAY, SERVICE_QUERIES
from tests.support.servers import OxigraphServer, free_port

from .conftest import MARGIN_S, ROOT, SEED, TIMEOUT_S, assert_no_leak, built_locally

REGULATORS = ROOT / "data" / "reference" / "pics-applicants.yaml"  # builds beside the seed alone
AUTHORITIES = "SELECT ?a ?label WHERE { ?a a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?a ?label"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Settings:
    """The seed article and the PIC/S applicants list, built into a local store."""
    tmp = tmp_path_factory.mktemp("remote-seed")
    return built_locally(tmp, data_folder(tmp, SEED, REGULATORS))


@pytest.fixture(scope="module")
def pushed(seed, writer) -> Settings:
    push(seed, writer.store_url)
    return seed.model_copy(update={"sparql_endpoint": writer.query_url, "query_workers": 1})


@pytest.fixture(scope="module")
def remote_client(pushed) -> Iterator[TestClient]:
    with TestClient(create_app(pushed)) as client:
        yield client


@pytest.fixture(scope="module")
def embedded_client(seed) -> Iterator[TestClient]:
    with TestClient(create_app(seed.model_copy(update={"query_workers": 1}))) as client:
        yield client


# --- the API in remote mode -----------------------------------------------------------------------------

def test_remote_answers_as_the_embedded_store_does(remote_client, embedded_client):
    for query in (AUTHORITIES, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                  "ASK WHERE { id:authority\\/nmpa a ctkg:RegulatoryAuthority }"):
        remote, embedded = (c.get("/sparql", params={"query": query}, headers=JSON) for c in (remote_client,
                                                                                             embedded_client))
        assert remote.status_code == embedded.status_code == 200, remote.text
        assert remote.json() == embedded.json()
    construct = "CONSTRUCT WHERE { id:authority\\/nmpa ?p ?o }"
    graphs = [ox.Dataset(q for q in ox.parse(c.get("/sparql", params={"query": construct},
                                                   headers={"Accept": "application/n-triples"}).content,
                                             format=ox.RdfFormat.N_TRIPLES))
              for c in (remote_client, embedded_client)]
    assert len(graphs[0]) == len(graphs[1]) > 0 and set(graphs[0]) == set(graphs[1])
    for path in ("/products", "/authorities?limit=5", "/search?q=fucaso", "/products/equecabtagene-autoleucel",
                 "/products/equecabtagene-autoleucel/timeline"):
        remote, embedded = remote_client.get(path), embedded_client.get(path)
        assert remote.status_code == embedded.status_code == 200, (path, remote.text)
        assert remote.json() == embedded.json(), path


def test_health_and_stats_read_the_pushed_record(remote_client, embedded_client, pushed):
    health = remote_client.get("/health").json()
    assert health["status"] == "ok" and health["backend"] == "remote"
    assert health["build"] == Path(open_read_only(pushed.store_dir)[1]).name
    remote, embedded = remote_client.get("/stats").json(), embedded_client.get("/stats").json()
    assert {k: remote[k] for k in ("triples", "quads", "sources")} == \
           {k: embedded[k] for k in ("triples", "quads", "sources")}
    assert remote["classes"] == embedded["classes"]


def test_updates_are_refused_by_the_api_and_by_the_read_only_server(pushed, tmp_path):
    with TestClient(create_app(pushed)) as client:
        response = client.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})
        assert response.status_code == 403
        response = client.post("/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"})
        assert response.status_code == 403
    location = tmp_path / "db"
    with OxigraphServer(location, read_only=False) as writer:
        push(pushed, writer.store_url)
    reader = OxigraphServer(location, read_only=True)
    try:  # the public side of the production layout refuses updates itself
        direct = httpx.post(reader.base + "/update", content="DROP ALL", timeout=10,
                            headers={"Content-Type": "application/sparql-update"})
        assert direct.status_code >= 400
        count = httpx.post(reader.query_url, data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                           headers=JSON, timeout=10).json()["results"]["bindings"][0]["n"]["value"]
        assert int(count) > 0
    finally:
        reader.stop()


@pytest.mark.parametrize("spelling", ["plain", "silent", "filter exists"])
def test_service_is_refused_and_nothing_is_sent(remote_client, listener, spelling):
    query = SERVICE_QUERIES[spelling].format(url=f"http://127.0.0.1:{listener.port}/sparql")
    response = remote_client.get("/sparql", params={"query": query})
    assert response.status_code == 400 and "SERVICE" in response.text
    assert listener.received() == 0


def test_a_runaway_query_is_answered_503_at_the_deadline(pushed, tmp_path):
    """The API keeps its time limit over a remote server. The server's own query runs on (Oxigraph cannot
    stop one), so this test's server is its own and is stopped at the end."""
    location = tmp_path / "db"
    with OxigraphServer(location, read_only=False) as writer:
        push(pushed, writer.store_url)
    reader = OxigraphServer(location, read_only=True, timeout_s=1)
    settings = pushed.model_copy(update={"sparql_endpoint": reader.query_url})
    try:
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            response = client.get("/sparql", params={"query": RUNAWAY}, headers=JSON)
            elapsed = time.monotonic() - started
            assert response.status_code == 503 and "time limit" in response.text
            assert response.headers["retry-after"]
            assert elapsed <= TIMEOUT_S + MARGIN_S
            again = client.get("/sparql", params={"query": AUTHORITIES}, headers=JSON)
            assert again.status_code == 200  # a fresh worker answers the next query
    finally:
        reader.stop()


def test_a_row_limit_holds_over_a_remote_server(pushed):
    with TestClient(create_app(pushed.model_copy(update={"max_rows": 5}))) as client:
        response = client.get("/sparql", params={"query": AUTHORITIES}, headers=JSON)
    assert response.status_code == 422 and response.headers["ctkg-row-limit"] == "5"


def test_an_unreachable_server_is_503_and_its_address_is_not_shown(seed):
    port = free_port()
    settings = seed.model_copy(update={"sparql_endpoint": f"http://127.0.0.1:{port}/query", "query_workers": 1})
    with TestClient(create_app(settings)) as client:
        for response in (client.get("/sparql", params={"query": AUTHORITIES}), client.get("/products"),
                         client.get("/stats"), client.get("/health")):
            assert response.status_code == 503, response.text
            assert_no_leak(response, str(port))
        assert client.get("/health").json()["status"] == "unavailable"


def test_a_server_nothing_was_pushed_to_says_to_push(seed, tmp_path):
    empty = OxigraphServer(tmp_path / "db", read_only=False)
    settings = seed.model_copy(update={"sparql_endpoint": empty.query_url, "query_workers": 1})
    try:
        with TestClient(create_app(settings)) as client:
            response = client.get("/stats")
            assert response.status_code == 503 and "ctkg push" in response.text
            assert client.get("/health").status_code == 503
    finally:
        empty.stop()


def test_a_new_push_is_served_without_a_restart(tmp_path, own_writer):
    writer = own_writer
    first = built_locally(tmp_path, data_folder(tmp_path, SEED))
    push(first, writer.store_url)
    settings = first.model_copy(update={"sparql_endpoint": writer.query_url, "query_workers": 1})
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ctkg:RegulatoryAuthority }"
    with TestClient(create_app(settings)) as client:
        before = client.get("/health").json()["build"]
        seen = int(client.get("/sparql", params={"query": count},
                              headers=JSON).json()["results"]["bindings"][0]["n"]["value"])
        second = built_locally(tmp_path / "again", data_folder(tmp_path / "again", SEED, REGULATORS))
        push(second, writer.store_url)
        after = client.get("/health").json()["build"]
        now = int(client.get("/sparql", params={"query": count},
                             headers=JSON).json()["results"]["bindings"][0]["n"]["value"])
    assert before != after == Path(open_read_only(second.store_dir)[1]).name
    assert now > seen
