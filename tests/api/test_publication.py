"""Publishing a build under a running server (`kg.store` publishes, `api.engine` picks it up). A `ctkg build`
killed half-way leaves the served graph as it was; a rebuild published while clients query is seen whole or
not at all.

A server serves data/ (graph A); the new graph B is data/ copied several times under new source ids, so
that its counts differ from A's and each phase of its build lasts long enough to be killed in: every
answer must carry A's counts or B's, never anything else. A server started on a store with no graph yet
serves the first build made there. Each test has a store and a server that no other test changes.
"""

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from api.worker import IDLE_CHECK_S
from kg.facts import facts_files, read_yaml
from kg.store import StoreLayout
from tests.support.builds import build_whole, ctkg_build, kill_build, read_until
from tests.support.polling import wait_until
from tests.support.servers import CtkgServer

from .conftest import MARGIN_S, ROOT, assert_no_leak

COPIES = 4  # data/ four times over
PUBLISHING_TIMEOUT_S = 10.0  # the query time limit of this module's servers (`serve`)
QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def copy_data(target: Path, copies: int) -> None:
    """data/ `copies` times, each file under a source id of its own."""
    for path in facts_files(ROOT / "data"):
        doc = read_yaml(path)
        source = doc["source"]["id"]
        for n in range(copies):
            doc["source"]["id"] = f"{source}-copy-{n}"
            copy = target / f"copy-{n}" / path.relative_to(ROOT / "data")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("copies")
    copy_data(folder, COPIES)
    return folder


def serve(store: Path, log: Path) -> CtkgServer:
    # A time limit these tests never meet: under a build that takes both cores, four clients' small queries may
    # wait their turn for a worker longer than the tests' usual 2 s, and that is not what is tested here.
    return CtkgServer(store, log, query_timeout_s=PUBLISHING_TIMEOUT_S)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[CtkgServer]:
    """data/ built and served, for the tests whose builds are killed (and so never publish)."""
    tmp = tmp_path_factory.mktemp("killed-builds")
    build_whole(ROOT / "data", tmp / "store")
    with serve(tmp / "store", tmp / "server.log") as server:
        yield server


@pytest.fixture
def fresh(tmp_path) -> Iterator[CtkgServer]:
    """data/ built into a store of the test's own, and served."""
    build_whole(ROOT / "data", tmp_path / "store")
    with serve(tmp_path / "store", tmp_path / "server.log") as server:
        yield server


class Observed:
    """What the server answers now: the build it names, its quads by SPARQL, its sources by REST."""

    def __init__(self, base: str):
        with httpx.Client(base_url=base, timeout=10) as http:
            sparql = http.get("/sparql", params={"query": QUADS})
            assert sparql.status_code == 200, sparql.text
            self.build = sparql.headers["ctkg-build"]
            self.quads = int(sparql.json()["results"]["bindings"][0]["n"]["value"])
            self.sources = http.get("/sources", params={"limit": 1}).json()["count"]
            self.stats = http.get("/stats").json()


def test_a_server_started_before_any_build_serves_the_first_one(tmp_path):
    store = tmp_path / "store"
    with serve(store, tmp_path / "server.log") as server:
        response = httpx.get(f"{server.base}/sparql", params={"query": QUADS})
        assert response.status_code == 503 and "ctkg build" in response.text
        assert_no_leak(response, str(store))
        build_whole(ROOT / "data", store)
        graph = Observed(server.base)
    assert graph.quads > 0 and graph.sources == len(facts_files(ROOT / "data"))
    assert graph.build == StoreLayout(store).current_build().name


# When a build is killed: what its progress says then (`ctkg build` prints each phase as it starts it).
KILL_POINTS = {
    "as it reads the facts files": "reading and checking",
    "as it writes the new store": "loading into a fresh store",
    "as it validates the new store": "validating the graph",
}


@pytest.mark.parametrize("when", KILL_POINTS)
def test_a_build_killed_half_way_leaves_the_served_graph_as_it_was(served, copies, when):
    before = Observed(served.base)
    current = StoreLayout(served.store_dir).current_build()
    build = ctkg_build(copies, served.store_dir, "--full")  # every phase, whatever a build before left
    try:
        read_until(build, KILL_POINTS[when])
    finally:
        kill_build(build)
    assert build.returncode == -signal.SIGKILL
    assert StoreLayout(served.store_dir).current_build() == current
    after = Observed(served.base)
    assert (after.build, after.quads, after.sources) == (before.build, before.quads, before.sources)
    assert after.stats == before.stats


def stats_counts(stats: dict) -> tuple[int, int, int]:
    """What /stats says, from the manifest (quads, sources) and from a query (entities per class)."""
    return stats["quads"], stats["sources"], sum(c["entities"] for c in stats["classes"])


def test_a_rebuild_under_load_is_seen_whole_and_no_request_fails(fresh, copies):
    old = Observed(fresh.base)
    seen: dict[int, list[tuple[str, str, object]]] = {n: [] for n in range(4)}  # (what, build or "", value)
    failures: list[str] = []
    stop = threading.Event()

    def client(number: int) -> None:
        mine = seen[number]
        try:
            with httpx.Client(base_url=fresh.base, timeout=10) as http:
                for _ in range(5000):  # bounded; stops well before
                    if stop.is_set():
                        return
                    sparql = http.get("/sparql", params={"query": QUADS})
                    sources = http.get("/sources", params={"limit": 1})
                    stats = http.get("/stats")
                    for response in (sparql, sources, stats):
                        if response.status_code != 200:
                            failures.append(f"{response.request.url}: {response.status_code} {response.text[:200]}")
                    if sparql.status_code == sources.status_code == stats.status_code == 200:
                        mine.append(("quads", sparql.headers["ctkg-build"],
                                     int(sparql.json()["results"]["bindings"][0]["n"]["value"])))
                        mine.append(("sources", "", sources.json()["count"]))
                        mine.append(("stats", "", stats_counts(stats.json())))
        except Exception as exc:  # handed to the test's own thread, which fails with it
            failures.append(f"client {number}: {exc!r}")

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in seen]
    for thread in clients:
        thread.start()
    try:
        wait_until(lambda: all(seen.values()) or failures, timeout=60, what="every client's first answers")
        build_whole(copies, fresh.store_dir)
        new_build = StoreLayout(fresh.store_dir).current_build().name
        wait_until(lambda: failures or all(any(b == new_build for _, b, _ in answers) for answers in seen.values()),
                   timeout=60, what="every client answered by the new build")
    finally:
        stop.set()
        for thread in clients:
            thread.join(30)
    new = Observed(fresh.base)
    assert not failures, failures[:5]
    assert new.build == new_build != old.build and new.quads > old.quads and new.sources == COPIES * old.sources
    quads = {old.build: old.quads, new.build: new.quads}
    old_stats, new_stats = stats_counts(old.stats), stats_counts(new.stats)
    allowed = {"sources": [old.sources, new.sources], "stats": [old_stats, new_stats]}
    for number, answers in seen.items():
        for what, build_name, value in answers:
            if what == "quads":
                assert value == quads[build_name], (number, build_name, value)  # the count of the build that answered
            else:
                assert value in allowed[what], (number, what, value)
        # each client saw the old graph, then the new one, and never the old one again
        order = [0 if value in (old.quads, old.sources, old_stats) else 1 for _, _, value in answers]
        assert order == sorted(order), f"client {number} saw the old graph after the new one"
        assert order[0] == 0 and order[-1] == 1


def _holds(pid: int, folder: Path) -> bool:
    """Whether a process has a file of `folder` open."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if Path(os.readlink(fd)).is_relative_to(folder):
                return True
        except OSError:  # closed meanwhile
            pass
    return False


def test_an_idle_worker_lets_go_of_an_old_build_without_a_query(fresh):
    # The pool gives each job to the worker idle the shortest time, so under light load another may stay idle for
    # hours. It must not hold the build it opened until then: its files, and their disk space once pruned.
    old = fresh.store_dir.resolve() / "builds" / Observed(fresh.base).build
    workers = fresh.workers()
    assert len(workers) == 2 and all(_holds(pid, old) for pid in workers)  # each opened it when it started
    build_whole(ROOT / "data", fresh.store_dir)
    wait_until(lambda: not any(_holds(pid, old) for pid in workers), timeout=2 * IDLE_CHECK_S + MARGIN_S,
               what="the idle workers letting go of the old build")
    assert fresh.workers() == workers  # the same workers, none replaced
