"""Options and fixtures for the whole test suite: the listener that stands in for an outside host, and
read-write Oxigraph servers on 127.0.0.1 (`ctkg push` in tests/kg, the API's remote mode in tests/api)."""

import socket
from collections.abc import Iterator

import pytest

from tests.support.listener import Listener
from tests.support.servers import OxigraphServer


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("embedded", "remote"), default="embedded",
                     help="what the API's tests serve from: the embedded store (default), or a real Oxigraph server "
                          "on 127.0.0.1 that `ctkg push` loaded (the API's remote mode)")


def pytest_configure(config):
    # pytest-randomly keeps the order random, but is told not to reseed before each test: it hands the seeders
    # other packages register seeds past 2**32, which thinc's (spaCy's, for intake) refuses. Works without the
    # plugin too (`-p no:randomly`).
    if hasattr(config.option, "randomly_reset_seed"):
        config.option.randomly_reset_seed = False


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A listener on 127.0.0.1 for an outside host; `listener.received()` counts what others sent it."""
    outside = Listener()
    with socket.create_connection(("127.0.0.1", outside.port), timeout=2):
        pass  # the listener does count a connection
    assert outside.received() == 1
    outside.peers.clear()
    yield outside
    outside.close()


@pytest.fixture(scope="module")
def writer(tmp_path_factory) -> Iterator[OxigraphServer]:
    """A read-write Oxigraph server, shared by one test module's pushes."""
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph-writer") / "db", read_only=False) as server:
        yield server


@pytest.fixture
def own_writer(tmp_path) -> Iterator[OxigraphServer]:
    """A read-write Oxigraph server for one test, which pushes what the others must not see."""
    with OxigraphServer(tmp_path / "db", read_only=False) as server:
        yield server
