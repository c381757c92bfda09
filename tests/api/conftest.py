"""Fixtures for the API tests: a graph built from the real data once per session, the application
in-process (FastAPI's test client), and the real server (`ctkg serve`) on 127.0.0.1."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kg.build import build
from kg.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SEED = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"
TIMEOUT_S = 2.0  # the query time limit the tests run with
# Used only while ontology/ has no ontology file yet: the declaration and the subclass axioms a build needs.
STUB_ONTOLOGY = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ctkg: <https://w3id.org/ctkg/ontology#> .
<https://w3id.org/ctkg/ontology> a owl:Ontology .
ctkg:CARTCellTherapy rdfs:subClassOf ctkg:CellTherapyProduct .
ctkg:CellTherapyProduct rdfs:subClassOf ctkg:AdvancedTherapyMedicinalProduct .
ctkg:AdvancedTherapyMedicinalProduct rdfs:subClassOf ctkg:MedicinalProduct .
ctkg:Company rdfs:subClassOf ctkg:Organization .
ctkg:RegulatoryAuthority rdfs:subClassOf ctkg:Organization .
ctkg:CooperationScheme rdfs:subClassOf ctkg:Organization .
"""


def _ontology_dir(tmp: Path) -> Path:
    if any((ROOT / "ontology").glob("*.ttl")):
        return ROOT / "ontology"
    stub = tmp / "ontology"
    stub.mkdir()
    (stub / "stub.ttl").write_text(STUB_ONTOLOGY, encoding="utf-8")
    return stub


def built_store(tmp: Path, data_dir: Path, **overrides) -> Settings:
    """Build `data_dir` into a fresh store under `tmp`; returns settings that serve it."""
    settings = Settings(ontology_dir=_ontology_dir(tmp), shapes_dir=ROOT / "shapes", data_dir=data_dir,
                        store_dir=tmp / "store", query_timeout_s=TIMEOUT_S, query_workers=2, **overrides)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """The seed article's facts alone, built into a fresh store and served with a short time limit: the
    in-process tests assert exact answers, which the growing data/ would change."""
    tmp = tmp_path_factory.mktemp("seed")
    (tmp / "data").mkdir()
    shutil.copy(SEED, tmp / "data" / SEED.name)
    return built_store(tmp, tmp / "data")


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """All of data/, built into a fresh store: what the real server serves."""
    return built_store(tmp_path_factory.mktemp("real"), ROOT / "data")


@pytest.fixture(scope="session")
def client(settings):
    """The application in-process, its worker pool started once for the session."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def marked_up(tmp_path_factory) -> Settings:
    """The seed article plus a facts file full of markup and SPARQL metacharacters."""
    tmp = tmp_path_factory.mktemp("markup")
    (tmp / "data").mkdir()
    for path in (SEED, HERE / "data" / "markup-in-labels.yaml"):
        shutil.copy(path, tmp / "data" / path.name)
    return built_store(tmp, tmp / "data")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(real_settings, tmp_path_factory):
    """`ctkg serve` as a real process on 127.0.0.1, serving all of data/; yields (base URL, process)."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "CTKG_STORE_DIR": str(real_settings.store_dir), "CTKG_QUERY_TIMEOUT_S": str(TIMEOUT_S),
           "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class Listener:
    """A TCP listener on 127.0.0.1 standing in for an outside host: it records every connection."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.socket.close()


@pytest.fixture
def listener():
    outside = Listener()
    with socket.create_connection(("127.0.0.1", outside.port), timeout=2):
        pass  # the listener does record a connection
    deadline = time.monotonic() + 2
    while outside.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outside.connections == 1
    outside.connections = 0
    yield outside
    outside.close()
