"""The one-off importer `scripts/reference_to_yaml.py`: it turns the shared reference lists
(`../shared/reference/*.csv`) into facts files, always the same ones, that read as facts and are in canonical
form, and it never overwrites curated files unless told to.

Skipped, saying so, where the shared reference folder is absent: the project builds from `data/` alone.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from kg.canonical import canonical_text
from kg.facts import read_facts

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "scripts" / "reference_to_yaml.py"
CURATED = ROOT / "data" / "reference"
REFERENCE = ROOT.parent / "shared" / "reference"
NO_REFERENCE = f"the shared reference lists are not here ({REFERENCE}); the graph builds from data/ alone"

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason=NO_REFERENCE)


def run_tool(out_dir: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), str(REFERENCE), str(out_dir), *options],
                          capture_output=True, text=True, timeout=60)


def written(out_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out_dir.glob("*.yaml"))}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp("reference")
    done = run_tool(out_dir)
    assert done.returncode == 0, done.stderr
    return out_dir


def test_the_conversion_tool_is_stable(first_run, tmp_path):
    done = run_tool(tmp_path / "again")
    assert done.returncode == 0, done.stderr
    assert written(tmp_path / "again") == written(first_run)
    assert sorted(written(first_run)) == sorted(p.name for p in CURATED.glob("*.yaml"))


def test_it_refuses_to_overwrite_curated_files_unless_forced(first_run, tmp_path):
    out_dir = tmp_path / "curated"
    out_dir.mkdir()
    (out_dir / "regulators.yaml").write_text("# edited by hand\n", encoding="utf-8")
    refused = run_tool(out_dir)
    assert refused.returncode == 1 and "curated by hand" in refused.stderr
    assert (out_dir / "regulators.yaml").read_text(encoding="utf-8") == "# edited by hand\n"
    forced = run_tool(out_dir, "--force")
    assert forced.returncode == 0, forced.stderr
    assert written(out_dir) == written(first_run)


@pytest.mark.parametrize("name", sorted(p.name for p in CURATED.glob("*.yaml")))
def test_each_written_file_reads_as_facts_in_canonical_form(first_run, name):
    path = first_run / name
    text = path.read_text(encoding="utf-8")
    assert read_facts(path).records
    assert canonical_text(text, path) == text, f"the importer should write what `ctkg fmt {path}` would"
