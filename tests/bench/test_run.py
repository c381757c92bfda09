"""The benchmark's own machinery: the load client counts failures by kind, a store built before is timed as
it is, without a build, and a benchmark stopped by SIGTERM leaves no process running."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate
from bench.run import hammer, main
from kg.build import build
from kg.settings import Settings
from tests.support.polling import wait_until
from tests.support.processes import descendants, is_dead
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_client_counts_failures_by_kind():
    nobody = free_port()  # nothing listens there
    result = hammer(nobody, "GET", "/", None, {}, clients=1, seconds=5, max_requests=3)
    assert result["requests"] == 0 and "rps" not in result
    assert result["errors"] == 3 and result["error_kinds"] == {"ConnectionRefusedError": 3}


def test_a_store_built_before_is_timed_without_a_build(small_store, tmp_path):
    manifest = json.loads((small_store / "current" / "manifest.json").read_text())
    out = tmp_path / "results.json"
    assert main(["--triples", "3000", "--store", str(small_store), "--json", str(out), "--runs", "1",
                 "--budget-s", "0.05", "--skip", "rdflib", "--skip", "oxigraph_server", "--skip", "http",
                 "--skip", "load"]) == 0
    results = json.loads(out.read_text())
    assert results["build"] is None and results["triples"] == manifest["triples"]
    assert results["prebuilt_store"] == str((small_store / "current").resolve())
    decisions = results["questions"]["decisions-by-product"]
    assert decisions["store_ms"] > 0 and decisions["store_subst_ms"] > 0 and decisions["rows"] > 0


def test_request_cpu_splits_each_servers_cpu_by_process(small_store, capsys):
    from bench.request_cpu import main as request_cpu

    assert request_cpu(["--store", str(small_store), "--seconds", "0.5", "--clients", "1"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert len(rows) == 2 * 3  # two servers, three lookups
    for lookup, _, server, rate, _, server_ms, children_ms, client_ms in rows:
        assert float(rate.replace(",", "")) > 0 and float(server_ms) > 0 and float(client_ms) > 0, lookup
        # the API's queries run in its workers, its children; Oxigraph server runs them itself
        assert (float(children_ms) > 0) is (server.strip() == "ctkg serve"), (lookup, server)


def test_interleaved_rounds_time_each_server_in_turn(small_store, capsys):
    from bench.interleaved import main as interleaved
    from tests.support.servers import CtkgServer

    with CtkgServer(small_store, ready_timeout=60) as other:  # stands in for an API from another checkout
        assert interleaved(["--store", str(small_store), "--rounds", "2", "--per-round", "2",
                            "--other-port", str(other.port), "pics-participating-authorities"]) == 0
    header, _, row = capsys.readouterr().out.splitlines()
    assert header.count("p50 ms") == 3  # Oxigraph server, this API, the other
    question, reference, api, other_api = (cell.strip() for cell in row.split("|")[1:-1])
    assert question == "pics-participating-authorities" and float(reference) > 0
    for cell in (api, other_api):
        assert float(cell.split()[0]) > 0 and cell.endswith("×)")


def test_the_in_process_ceiling_answers_every_lookup_beside_oxigraph_server(small_store, capsys):
    from bench.in_process_ceiling import main as ceiling

    assert ceiling(["--store", str(small_store), "--seconds", "0.3"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["decisions-by-product", "resource-statements", "resource-properties"]
    for _, ceiling_rate, oxigraph_rate, share in rows:
        assert float(ceiling_rate.replace(",", "")) > 0 and float(oxigraph_rate.replace(",", "")) > 0
        assert share.strip().endswith("%")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    """A store built from 3,000 synthetic triples."""
    tmp = tmp_path_factory.mktemp("bench")
    generate(tmp / "data", 3_000)
    build(Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=tmp / "data",
                   store_dir=tmp / "store"))
    return tmp / "store"


def _commands(pids: list[int]) -> list[str]:
    found = []
    for pid in pids:
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return found


def test_a_benchmark_stopped_by_sigterm_stops_every_process_it_started(small_store, tmp_path):
    """SIGTERM while the load runs: `ctkg serve` (in a session of its own), its query workers, the Oxigraph
    servers and the engines all end with the benchmark, which says so and exits 128 + 15."""
    log = tmp_path / "bench.log"
    with log.open("wb") as output:
        run = subprocess.Popen([sys.executable, str(ROOT / "bench" / "run.py"), "--triples", "3000",
                                "--store", str(small_store), "--skip", "questions", "--skip", "rdflib",
                                "--load-seconds", "60"], stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        def serving() -> list[int] | None:
            assert run.poll() is None, log.read_text()
            pids = descendants(run.pid)[1:]
            commands = " ".join(_commands(pids))
            workers = sum("spawn_main" in c for c in _commands(pids))
            return pids if "kg.cli serve" in commands and "oxigraph serve" in commands and workers >= 2 else None

        started = wait_until(serving, timeout=90, interval=0.2, what="the benchmark's servers running")
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if run.poll() is None:
            run.kill()
    wait_until(lambda: all(is_dead(pid) for pid in started), timeout=5, what="every process the benchmark started "
               "ending")
    assert "stopped by SIGTERM; every process it started is stopped" in log.read_text()


def test_a_benchmark_run_in_process_leaves_the_processes_it_did_not_start(small_store, tmp_path):
    """`main` called by a test stops what it started, never the processes its caller had started before."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as before:
        try:
            assert main(["--triples", "3000", "--store", str(small_store), "--runs", "1", "--budget-s", "0.05",
                         "--skip", "rdflib", "--skip", "oxigraph_server", "--skip", "http", "--skip", "load"]) == 0
            assert before.poll() is None
        finally:
            before.kill()
