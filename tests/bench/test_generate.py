"""The synthetic data generator: deterministic for a seed and a size, about the size asked for, and a
question's bindings reach every WHERE clause of the benchmark's query text."""

from pathlib import Path

from bench.generate import Plan, generate
from bench.run import bound_text
from kg.facts import facts_files, read_facts

SYNTHETIC = Path(__file__).resolve().parents[1] / "kg" / "data" / "synthetic"


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.yaml"))}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    generate(tmp_path / "a", 3_000, seed=3)
    generate(tmp_path / "b", 3_000, seed=3)
    generate(tmp_path / "c", 3_000, seed=4)
    assert contents(tmp_path / "a") == contents(tmp_path / "b")
    assert contents(tmp_path / "a") != contents(tmp_path / "c")


def test_size_is_about_what_was_asked(tmp_path):
    plan = generate(tmp_path / "data", 20_000)
    assert plan == Plan.for_triples(20_000)
    triples = sum(len(read_facts(p).graph) for p in facts_files(tmp_path / "data"))
    assert 0.8 * 20_000 < triples + 514 < 1.2 * 20_000  # the ontology adds about 500


def test_the_incremental_tests_data_are_what_the_generator_writes(tmp_path):
    """tests/kg/data/synthetic is the generator's output for 2,500 triples and seed 7, kept as files so that the
    library's tests do not depend on the benchmark's code."""
    generate(tmp_path / "synthetic", 2_500, seed=7)
    assert contents(tmp_path / "synthetic") == contents(SYNTHETIC), (
        "tests/kg/data/synthetic differs from what bench/generate.py writes; if the generator changed on purpose, "
        "run: python bench/generate.py --triples 2500 --seed 7 --out tests/kg/data/synthetic")


def test_bindings_reach_subqueries():
    text = "SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?product } } }"
    bound = bound_text(text, "decisions-by-product")
    assert bound.count("VALUES (?product)") == 2
    assert bound_text(text, "pending-reviews") == text
