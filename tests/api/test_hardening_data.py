"""Issue 5, items 15 and 16: the data path under a running server. A `ctkg build` killed half-way leaves
the served graph as it was; a rebuild published while clients query is seen whole or not at all.

The server starts on a store with no graph yet, then serves data/ once (graph A); the new graph B is
data/ copied several times under new source ids, so that its build takes a few seconds and its counts
differ from A's: every answer must carry A's counts or B's, never anything else.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from kg.facts import facts_files, read_yaml
from kg.store import StoreLayout

from .conftest import ROOT, assert_no_leak, running_server

COPIES = 4  # data/ four times over: a build of a few seconds from cold
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


def ctkg_build(data: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "build", "--data", str(data), "--store", str(store)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def build_data(store: Path) -> None:
    """`ctkg build` of data/ into store, to the end."""
    build = ctkg_build(ROOT / "data", store)
    try:
        output, _ = build.communicate(timeout=120)
    finally:
        build.kill()
    assert build.returncode == 0, output.decode()[-2000:]


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("rebuilds")
    copy_data(root / "copies", COPIES)
    return {"store": root / "store", "copies": root / "copies", "log": root / "server.log"}


@pytest.fixture(scope="module")
def served(place):
    with running_server(place["store"], place["log"]) as server:
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


def test_a_server_started_before_any_build_serves_the_first_one(served, place):
    response = httpx.get(f"{served.base}/sparql", params={"query": QUADS})
    assert response.status_code == 503 and "ctkg build" in response.text
    assert_no_leak(response, str(place["store"]))
    build_data(place["store"])
    graph = Observed(served.base)
    assert graph.quads > 0 and graph.sources == len(facts_files(ROOT / "data"))
    assert graph.build == StoreLayout(place["store"]).current_build().name


@pytest.fixture
def built(place) -> None:
    """The store holds a build: the first test's, or one made here when a test runs alone."""
    if not StoreLayout(place["store"]).current.exists():
        build_data(place["store"])


def _new_paths(root: Path, known: set[Path]) -> set[Path]:
    """Paths under root not in known; os.walk skips a directory the build renames mid-walk (rglob raises)."""
    found = set()
    for folder, dirs, files in os.walk(root):
        found.update(Path(folder, name) for name in dirs + files)
    return found - known


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize("when", ["as the new build's store is written", "as it starts writing"])
def test_a_build_killed_half_way_leaves_the_served_graph_as_it_was(served, place, when):
    before = Observed(served.base)
    current = StoreLayout(place["store"]).current_build()
    known = set(place["store"].rglob("*"))
    build = ctkg_build(place["copies"], place["store"])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and build.poll() is None:
            new = _new_paths(place["store"], known)
            if when == "as it starts writing" and new:
                break
            if when == "as the new build's store is written" and any(p.parent.name == "oxigraph" for p in new):
                break
            time.sleep(0.005)
        assert build.poll() is None, "the build ended before it could be killed; make it bigger (COPIES)"
        build.send_signal(signal.SIGKILL)
    finally:
        build.kill()
        build.wait(10)
    assert build.returncode == -signal.SIGKILL
    assert StoreLayout(place["store"]).current_build() == current
    after = Observed(served.base)
    assert (after.build, after.quads, after.sources) == (before.build, before.quads, before.sources)
    assert after.stats == before.stats


def stats_counts(stats: dict) -> tuple[int, int, int]:
    """What /stats says, from the manifest (quads, sources) and from a query (entities per class)."""
    return stats["quads"], stats["sources"], sum(c["entities"] for c in stats["classes"])


@pytest.mark.usefixtures("built")
def test_a_rebuild_under_load_is_seen_whole_and_no_request_fails(served, place):
    old = Observed(served.base)
    seen: list[tuple[str, str, int]] = []  # (what, build or "", value), in each client's order
    failures: list[str] = []
    stop = threading.Event()

    def client(number: int) -> None:
        mine: list[tuple[str, str, int]] = []
        with httpx.Client(base_url=served.base, timeout=10) as http:
            for _ in range(2000):  # bounded; stops well before
                if stop.is_set():
                    break
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
        seen.extend((f"{number}:{what}", build, value) for what, build, value in mine)

    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    build = ctkg_build(place["copies"], place["store"])
    try:
        output, _ = build.communicate(timeout=120)
    finally:
        build.kill()
    assert build.returncode == 0, output.decode()[-2000:]
    time.sleep(1.0)  # and some more answers from the new graph
    stop.set()
    for thread in clients:
        thread.join(30)
    new = Observed(served.base)
    assert not failures, failures[:5]
    assert new.build != old.build and new.quads > old.quads and new.sources == COPIES * old.sources
    quads = {old.build: old.quads, new.build: new.quads}
    old_stats, new_stats = stats_counts(old.stats), stats_counts(new.stats)
    allowed = {"sources": [old.sources, new.sources], "stats": [old_stats, new_stats]}
    for key, build_name, value in seen:
        what = key.split(":")[1]
        if what == "quads":
            assert value == quads[build_name], (key, build_name, value)  # the count of the build that answered
        else:
            assert value in allowed[what], (key, value)
    # each client saw the old graph, then the new one, and never the old one again
    for number in range(4):
        order = [0 if value in (old.quads, old.sources, old_stats) else 1
                 for key, _, value in seen if key.startswith(f"{number}:")]
        assert order == sorted(order), f"client {number} saw the old graph after the new one"
        assert order[0] == 0 and order[-1] == 1
