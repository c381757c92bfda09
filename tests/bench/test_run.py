"""The benchmark's own machinery: the load client counts failures by kind, and a store built before is
timed as it is, without a build."""

import json
from pathlib import Path

from bench.generate import generate
from bench.run import hammer, main
from kg.build import build
from kg.settings import Settings
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_client_counts_failures_by_kind():
    nobody = free_port()  # nothing listens there
    result = hammer(nobody, "GET", "/", None, {}, clients=1, seconds=5, max_requests=3)
    assert result["requests"] == 0 and "rps" not in result
    assert result["errors"] == 3 and result["error_kinds"] == {"ConnectionRefusedError": 3}


def test_a_store_built_before_is_timed_without_a_build(tmp_path):
    generate(tmp_path / "data", 3_000)
    settings = Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=tmp_path / "data",
                        store_dir=tmp_path / "store")
    report = build(settings)
    out = tmp_path / "results.json"
    assert main(["--triples", "3000", "--store", str(tmp_path / "store"), "--json", str(out), "--runs", "1",
                 "--budget-s", "0.05", "--skip", "rdflib", "--skip", "oxigraph_server", "--skip", "http",
                 "--skip", "load"]) == 0
    results = json.loads(out.read_text())
    assert results["build"] is None and results["triples"] == report.triples
    assert results["prebuilt_store"] == str((tmp_path / "store" / "current").resolve())
    decisions = results["questions"]["decisions-by-product"]
    assert decisions["store_ms"] > 0 and decisions["store_subst_ms"] > 0 and decisions["rows"] > 0
