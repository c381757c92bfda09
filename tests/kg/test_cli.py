"""The `ctkg` command as a user runs it: exit codes 0 (ok), 1 (does not conform), 2 (error)."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, SEED


def ctkg(*args, env_store=None, cwd=ROOT, columns=None):
    env = {**os.environ, **({"CTKG_STORE_DIR": str(env_store)} if env_store else {}),
           **({"COLUMNS": str(columns)} if columns else {})}
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli-store")
    done = ctkg("build", env_store=store)
    assert done.returncode == 0, done.stderr
    assert "Built" in done.stdout
    return store


def test_validate_conforms():
    done = ctkg("validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms" in done.stdout


def test_validate_reports_file_fact_focus_path_message(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    unregulated = SEED.read_text(encoding="utf-8").replace("    regulator: hsa\n", "")
    (data / SEED.name).write_text(unregulated, encoding="utf-8")
    done = ctkg("validate", "--data", str(data))
    assert done.returncode == 1
    for expected in (SEED.name, "applications[4] (equecabtagene-autoleucel-singapore)",
                     "https://w3id.org/ctkg/id/application/equecabtagene-autoleucel-singapore",
                     "ctkg:regulator", "exactly one regulator"):
        assert expected in done.stdout


def test_build_failure_exits_1_and_says_graph_unchanged(tmp_path, cli_store):
    data = tmp_path / "data"
    data.mkdir()
    (data / "broken.yaml").write_text("source: [", encoding="utf-8")
    done = ctkg("build", "--data", str(data), env_store=cli_store)
    assert done.returncode == 1
    assert "previous graph is unchanged" in done.stderr
    assert "broken.yaml" in done.stderr and "invalid YAML" in done.stderr


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml", "table"])
def test_query_formats(cli_store, fmt):
    # A table is as wide as the terminal: wide enough here for every column of the question.
    done = ctkg("query", "pending-reviews", "--format", fmt, env_store=cli_store, columns=240)
    assert done.returncode == 0, done.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        assert {r["jurisdictionLabel"] for r in rows} >= {"Saudi Arabia", "Singapore"}
    elif fmt == "json":
        bindings = json.loads(done.stdout)["results"]["bindings"]
        assert {b["jurisdictionLabel"]["value"] for b in bindings} >= {"Saudi Arabia", "Singapore"}
    else:
        assert "Singapore" in done.stdout


def test_query_rq_file_and_bind(cli_store):
    path = ROOT / "kg" / "queries" / "decisions-by-product.rq"
    done = ctkg("query", str(path), "--format", "csv", "--bind", "product=id:product/equecabtagene-autoleucel",
                env_store=cli_store)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and {r["productLabel"] for r in rows} == {"equecabtagene autoleucel"}


def test_query_syntax_error_exits_2(cli_store):
    done = ctkg("query", "SELECT WHERE {", env_store=cli_store)
    assert done.returncode == 2
    assert "syntax error" in done.stderr.lower()


def test_query_without_a_build_says_what_to_do(tmp_path):
    done = ctkg("query", "SELECT * WHERE { ?s ?p ?o }", env_store=tmp_path / "none")
    assert done.returncode == 2
    assert "ctkg build" in done.stderr


@pytest.mark.parametrize("fmt", ["turtle", "rdfxml", "jsonld", "ntriples", "nquads", "trig"])
def test_export(cli_store, fmt, tmp_path):
    out = tmp_path / f"graph.{fmt}"
    done = ctkg("export", "--format", fmt, "--output", str(out), env_store=cli_store)
    assert done.returncode == 0, done.stderr
    assert "equecabtagene-autoleucel" in out.read_text(encoding="utf-8")


def test_export_protege(cli_store, tmp_path):
    out = tmp_path / "ctkg.owl"
    done = ctkg("export", "--protege", str(out), env_store=cli_store)
    assert done.returncode == 0, done.stderr
    from rdflib import Graph
    from rdflib.namespace import OWL, RDF

    graph = Graph().parse(out, format="xml")
    assert (None, RDF.type, OWL.Ontology) in graph
