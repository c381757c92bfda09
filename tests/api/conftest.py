"""Fixtures for the API tests: a graph built from the real data once per session, the application
in-process (FastAPI's test client), and the real server (`ctkg serve`) on 127.0.0.1."""

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class OxigraphServer:
    """A real Oxigraph server (`oxigraph serve`, or `serve-read-only`) on 127.0.0.1, from PyPI's `oxigraph`."""

    def __init__(self, location: Path, read_only: bool, timeout_s: int | None = None):
        binary = shutil.which("oxigraph")
        if binary is None:
            pytest.fail("--backend remote needs the Oxigraph server: pip install -e '.[test]' (PyPI package oxigraph)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [binary, "serve-read-only" if read_only else "serve", "--location", str(location),
                   "--bind", f"127.0.0.1:{self.port}", *(["--timeout-s", str(timeout_s)] if timeout_s else [])]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.base + "/", timeout=1)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Oxigraph server did not start: {' '.join(command)}")
                time.sleep(0.05)
        OxigraphServer.running.append(self)

    running: list["OxigraphServer"] = []

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def store_url(self) -> str:
        return self.base + "/store"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self in OxigraphServer.running:
            OxigraphServer.running.remove(self)


def serve_remotely(settings: Settings, location: Path) -> Settings:
    """The production layout on 127.0.0.1: push the build to a writer, stop it, and serve its database with
    `oxigraph serve-read-only` (with its own time limit); returns settings for the API's remote mode."""
    from kg.push import push

    writer = OxigraphServer(location, read_only=False)
    try:
        push(settings, writer.store_url)
    finally:
        writer.stop()
    reader = OxigraphServer(location, read_only=True, timeout_s=math.ceil(TIMEOUT_S) + 1)
    return settings.model_copy(update={"sparql_endpoint": reader.query_url})


# Why a test runs with the embedded store only (pytest.mark.embedded_only):
NEVER_ENDS = ("it sends a query that never ends, which an Oxigraph server cannot stop (oxigraph/oxigraph#1336): "
              "it would keep a core busy for the rest of the run; test_remote.py checks the deadline on a server "
              "of its own")
LOCAL_STORE = "it is about the store's builds on disk; test_remote.py checks the same of a pushed graph"
BACKEND = {"name": "embedded"}  # set from --backend when the session starts


def built_locally(tmp: Path, data_dir: Path, **overrides) -> Settings:
    """Build `data_dir` into a fresh store under `tmp`; returns settings that serve that store."""
    settings = Settings(ontology_dir=_ontology_dir(tmp), shapes_dir=ROOT / "shapes", data_dir=data_dir,
                        store_dir=tmp / "store", query_timeout_s=TIMEOUT_S, query_workers=2, **overrides)
    build(settings)
    return settings


def built_store(tmp: Path, data_dir: Path, **overrides) -> Settings:
    """Build `data_dir` into a fresh store under `tmp`; returns settings that serve it: from the store itself,
    or, with --backend remote, from a real Oxigraph server the build was pushed to."""
    settings = built_locally(tmp, data_dir, **overrides)
    if BACKEND["name"] == "remote":
        settings = serve_remotely(settings, tmp / "oxigraph")
        ENDPOINTS[settings.store_dir] = settings.sparql_endpoint
    return settings


ENDPOINTS: dict[Path, str] = {}  # store directory -> the remote endpoint it was pushed to (--backend remote)


def pytest_configure(config) -> None:
    BACKEND["name"] = config.getoption("--backend")


def pytest_collection_modifyitems(config, items) -> None:
    if config.getoption("--backend") != "remote":
        return
    for item in items:
        marker = item.get_closest_marker("embedded_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"embedded store only: {marker.args[0] if marker.args else ''}"))


@pytest.fixture(scope="session", autouse=True)
def _stop_oxigraph_servers():
    yield
    for server in list(OxigraphServer.running):
        server.stop()


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


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None if there is no such pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def is_dead(pid: int) -> bool:
    """Gone, or a zombie waiting to be reaped: either way it runs nothing."""
    fields = _stat(pid)
    return fields is None or fields[0] in ("Z", "X")


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def peak_memory_of(pids: list[int]) -> Iterator[list[float]]:
    """Sample the resident memory of `pids` every 20 ms while the block runs; yields [peak MB]."""
    peak, done = [0.0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max([peak[0], *(resident_mb(pid) for pid in pids)])
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield peak
    finally:
        done.set()
        watcher.join(5)


class ServerProcess:
    """`ctkg serve` as a real process on 127.0.0.1: `base` is its URL; settings come as CTKG_* variables."""

    def __init__(self, store_dir: Path, log: Path, **settings):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.workers_wanted = int(settings.get("query_workers", 2))
        remote = {"CTKG_SPARQL_ENDPOINT": ENDPOINTS[Path(store_dir)]} if Path(store_dir) in ENDPOINTS else {}
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CTKG_STORE_DIR": str(store_dir),
               "CTKG_QUERY_TIMEOUT_S": str(TIMEOUT_S), **remote,
               **{f"CTKG_{name.upper()}": str(value) for name, value in settings.items()}}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def workers(self) -> list[int]:
        """The query workers' pids (the server's other child is multiprocessing's resource tracker)."""
        found = []
        for pid in children(self.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and not is_dead(pid):
                    found.append(pid)
            except OSError:
                pass
        return found

    def wait_ready(self, timeout: float = 30) -> dict:
        """Wait until every worker is up and idle; returns the health report."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                health = httpx.get(f"{self.base}/health", timeout=1).json()
                if health["workers_idle"] >= self.workers_wanted:
                    return health
            except (httpx.TransportError, ValueError, KeyError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server is not ready:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextmanager
def running_server(store_dir: Path, log: Path, **settings) -> Iterator[ServerProcess]:
    server = ServerProcess(store_dir, log, **settings)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_server(real_settings, tmp_path_factory) -> Iterator[ServerProcess]:
    """`ctkg serve` as a real process on 127.0.0.1, serving all of data/ with a 2 s time limit. Tests that
    stop its workers wait for them to be back (`wait_ready`) before they end."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(real_settings.store_dir, log) as running:
        yield running


@pytest.fixture(scope="session")
def server(real_server) -> tuple[str, subprocess.Popen]:
    """The real server as (base URL, process)."""
    return real_server.base, real_server.process


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


# What an error body must never show: a stack trace, the server's files, or a file's contents.
LEAKS = ("Traceback", 'File "', "site-packages", str(ROOT), "pytest-of-", "root:x:0:0")


def assert_no_leak(response: httpx.Response, *secrets: str, echoed: str = "") -> None:
    """The body names no file of the server and shows no trace; nor any of `secrets`. `echoed` is the
    client's own input, which a message may quote back (a graph IRI, an id)."""
    text = response.text.replace(echoed, "") if echoed else response.text
    for leak in (*LEAKS, *secrets):
        assert leak not in text, f"{response.status_code} body shows {leak!r}: {response.text[:500]}"


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of a non-empty list."""
    ranked = sorted(samples)
    return ranked[min(len(ranked) - 1, max(0, math.ceil(p / 100 * len(ranked)) - 1))]
