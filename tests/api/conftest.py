"""Fixtures for the API tests: a graph built from the real data once per session, the application
in-process (FastAPI's test client), and the real server (`ctkg serve`) on 127.0.0.1. With --backend remote,
every graph is pushed to a real Oxigraph server and served from there (the API's remote mode)."""

import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kg.build import build
from tests.support.servers import CtkgServer, OxigraphServer

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SEED = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"
# Ids the seed article's facts give (the in-process tests serve the seed alone).
PRODUCT = "equecabtagene-autoleucel"
SOURCE = "pharmaceutical-technology-fucaso-hong-kong-approval"
TIMEOUT_S = 2.0  # the query time limit the tests run with
# How late past its own deadline a bounded operation may answer on a busy machine (2 cores shared by others).
MARGIN_S = 3.0

# Why a test runs with the embedded store only (pytest.mark.embedded_only):
NEVER_ENDS = ("it sends a query that never ends, which an Oxigraph server cannot stop (oxigraph/oxigraph#1336): "
              "it would keep a core busy for the rest of the run; test_remote.py checks the deadline on a server "
              "of its own")
LOCAL_STORE = "it is about the store's builds on disk; test_remote.py checks the same of a pushed graph"


def pytest_collection_modifyitems(config, items) -> None:
    if config.getoption("--backend") != "remote":
        return
    for item in items:
        marker = item.get_closest_marker("embedded_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"embedded store only: {marker.args[0] if marker.args else ''}"))


def ids(items: list[dict]) -> list[str]:
    """The ids of a list's items, in order."""
    return [item["id"] for item in items]


def built_locally(tmp: Path, data_dir: Path, **overrides) -> Settings:
    """Build `data_dir` into a fresh store under `tmp`; returns settings that serve that store."""
    settings = Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=data_dir,
                        store_dir=tmp / "store", query_timeout_s=TIMEOUT_S, query_workers=2, **overrides)
    build(settings)
    return settings


def serve_remotely(settings: Settings, location: Path, servers: ExitStack) -> Settings:
    """The production layout on 127.0.0.1: push the build to a writer, stop it, and serve its database with
    `oxigraph serve-read-only` (with its own time limit), which stops when `servers` closes; returns settings
    for the API's remote mode."""
    from kg.push import push

    with OxigraphServer(location, read_only=False) as writer:
        push(settings, writer.store_url)
    reader = servers.enter_context(OxigraphServer(location, read_only=True, timeout_s=math.ceil(TIMEOUT_S) + 1))
    return settings.model_copy(update={"sparql_endpoint": reader.query_url})


@pytest.fixture(scope="session")
def backend(request) -> str:
    """What the API serves from: "embedded" (the store itself) or "remote" (--backend remote)."""
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def as_served(backend, tmp_path_factory) -> Iterator[Callable[[Settings], Settings]]:
    """Settings of a built store as the API serves it: unchanged, or, with --backend remote, pointing at a
    real Oxigraph server the build was pushed to (its servers stop when the session ends)."""
    with ExitStack() as servers:
        def serve(settings: Settings) -> Settings:
            if backend != "remote":
                return settings
            return serve_remotely(settings, tmp_path_factory.mktemp("oxigraph") / "db", servers)

        yield serve


@pytest.fixture(scope="session")
def settings(tmp_path_factory, as_served) -> Settings:
    """The seed article's facts alone, built into a fresh store and served with a short time limit: the
    in-process tests assert exact answers, which the growing data/ would change."""
    tmp = tmp_path_factory.mktemp("seed")
    (tmp / "data").mkdir()
    shutil.copy(SEED, tmp / "data" / SEED.name)
    return as_served(built_locally(tmp, tmp / "data"))


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory, as_served) -> Settings:
    """All of data/, built into a fresh store: what the real server serves."""
    return as_served(built_locally(tmp_path_factory.mktemp("real"), ROOT / "data"))


@pytest.fixture(scope="session")
def client(settings):
    """The application in-process, its worker pool started once for the session."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def marked_up(tmp_path_factory, as_served) -> Settings:
    """The seed article plus a facts file full of markup and SPARQL metacharacters."""
    tmp = tmp_path_factory.mktemp("markup")
    (tmp / "data").mkdir()
    for path in (SEED, HERE / "data" / "markup-in-labels.yaml"):
        shutil.copy(path, tmp / "data" / path.name)
    return as_served(built_locally(tmp, tmp / "data"))


@pytest.fixture(scope="session")
def pages_client(tmp_path_factory, as_served):
    """The seed article and a facts file whose every name is markup, read in November 2026
    (tests/api/data/markup-in-pages.yaml), in-process with one worker: what the pages' escaping and dating
    tests read."""
    tmp = tmp_path_factory.mktemp("markup-pages")
    (tmp / "data").mkdir()
    for path in (SEED, HERE / "data" / "markup-in-pages.yaml"):
        shutil.copy(path, tmp / "data" / path.name)
    settings = as_served(built_locally(tmp, tmp / "data")).model_copy(update={"query_workers": 1})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def ctkg_serve(settings: Settings, log: Path, **overrides) -> CtkgServer:
    """`ctkg serve` of `settings`' store (or of its remote endpoint) with the tests' time limit, started and
    ready; `overrides` are further settings (`query_workers=1`)."""
    return CtkgServer(settings.store_dir, log, **{"query_timeout_s": TIMEOUT_S,
                                                  "sparql_endpoint": settings.sparql_endpoint, **overrides})


@pytest.fixture(scope="session")
def real_server(real_settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """`ctkg serve` as a real process on 127.0.0.1, serving all of data/ with a 2 s time limit, shared by the
    tests that leave its workers alone; a test that has a worker killed uses `own_server`."""
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("server") / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def module_server(real_settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """A server like `real_server`, for one test module whose tests have workers killed."""
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("module-server") / "server.log") as running:
        yield running


@pytest.fixture
def own_server(module_server) -> CtkgServer:
    """The module's server with every worker up and idle: a test that has workers killed starts with a
    whole pool whatever ran before it."""
    module_server.wait_ready()
    return module_server


# A server whose guards act before the deadline does: a 6 s time limit, a 640 MB memory cap per worker, and
# 2 requests at once per client.
GUARDED = {"query_timeout_s": 6, "worker_memory_mb": 640, "max_concurrent_per_client": 2, "query_workers": 2}


@pytest.fixture(scope="module")
def guarded_server(real_settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """All of data/ served with the `GUARDED` settings, for one test module (its tests have workers killed)."""
    with ctkg_serve(real_settings, tmp_path_factory.mktemp("guarded") / "server.log", **GUARDED) as running:
        yield running


@pytest.fixture
def guarded(guarded_server) -> CtkgServer:
    """The guarded server with every worker up and idle again, whatever the test before had killed."""
    guarded_server.wait_ready()
    return guarded_server


@pytest.fixture(scope="session")
def server(real_server) -> tuple[str, subprocess.Popen]:
    """The real server as (base URL, process)."""
    return real_server.base, real_server.process


# What an error body must never show: a stack trace, the server's files, or a file's contents.
LEAKS = ("Traceback", 'File "', "site-packages", str(ROOT), "pytest-of-", "root:x:0:0")


def assert_no_leak(response: httpx.Response, *secrets: str, echoed: str = "") -> None:
    """The body names no file of the server and shows no trace; nor any of `secrets`. `echoed` is the
    client's own input, which a message may quote back (a graph IRI, an id)."""
    text = response.text.replace(echoed, "") if echoed else response.text
    for leak in (*LEAKS, *secrets):
        assert leak not in text, f"{response.status_code} body shows {leak!r}: {response.text[:500]}"
