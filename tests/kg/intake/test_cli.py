"""`ctkg intake` as a user runs it: exit 0 ok, 1 a draft does not conform, 2 error; bad input changes nothing;
drafts in data/drafts/ are never read by a build."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from kg.build import build
from kg.facts import facts_files

from ..conftest import REGULATORS, ROOT, SEED, settings_for

ARTICLE = """Health Canada approves Kymriah for a new use
Source: https://news.example.org/kymriah
Published: 1 June 2024

Health Canada has approved Kymriah for adults with relapsed follicular lymphoma.
"""


def ctkg(*args, store, data=None):
    env = {**os.environ, "CTKG_STORE_DIR": str(store), "COLUMNS": "200"}
    if data is not None:
        env["CTKG_DATA_DIR"] = str(data)
    return subprocess.run([sys.executable, "-m", "kg.cli", "intake", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_intake_writes_a_draft_into_data_drafts_once(built, tmp_path):
    article = tmp_path / "kymriah.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    data = tmp_path / "data"
    done = ctkg(str(article), store=built.store_dir, data=data)
    assert done.returncode == 0, done.stderr
    draft = data / "drafts" / "kymriah.yaml"
    text = draft.read_text(encoding="utf-8")
    assert "regulator: health-canada" in text and "product: tisagenlecleucel" in text
    again = ctkg(str(article), store=built.store_dir, data=data)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert draft.read_text(encoding="utf-8") == text


def test_format_json_prints_the_gold_schema(built, tmp_path):
    article = tmp_path / "kymriah.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    done = ctkg(str(article), "--format", "json", store=built.store_dir)
    assert done.returncode == 0, done.stderr
    (approval,) = [f for f in json.loads(done.stdout) if f["kind"] == "approval"]
    assert (approval["product"], approval["authority"], approval["date"]) == ("Kymriah", "Health Canada", None)


@pytest.mark.parametrize("content, says", [
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary"),
    ("La agencia aprobó la terapia para adultos con linfoma tras una revisión de los datos del estudio clínico."
     .encode(), "does not read as English"),
])
def test_bad_input_is_an_error_and_writes_nothing(built, tmp_path, content, says):
    article = tmp_path / "bad.txt"
    article.write_bytes(content)
    data = tmp_path / "data"
    done = ctkg(str(article), store=built.store_dir, data=data)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert not data.exists()


@pytest.mark.parametrize("args, says", [
    ((), "give one of"),
    (("--published", "June 2024"), "YYYY-MM-DD"),
    (("--published", "2024-02-30"), "YYYY-MM-DD"),
    (("--url", "ftp://example.org/a"), "http(s)"),
    (("--format", "xml"), "yaml or json"),
])
def test_bad_options_are_errors(built, tmp_path, args, says):
    article = tmp_path / "kymriah.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    done = ctkg(*((str(article),) if args else ()), *args, store=built.store_dir, data=tmp_path / "data")
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_folder_given_as_the_article_is_an_error(built, tmp_path):
    done = ctkg(str(tmp_path), store=built.store_dir, data=tmp_path / "data")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is a folder" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()


def test_check_of_a_missing_draft_is_an_error(built, tmp_path):
    done = ctkg("--check", str(tmp_path / "absent.yaml"), store=built.store_dir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no such draft" in done.stderr


def test_evaluate_on_a_folder_without_pairs_is_an_error(built, tmp_path):
    (tmp_path / "lonely.txt").write_text(ARTICLE, encoding="utf-8")  # no lonely.facts.json beside it
    done = ctkg("--evaluate", str(tmp_path), store=built.store_dir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no article to score" in done.stderr


def test_check_exits_0_for_a_conforming_draft_and_1_otherwise(built, tmp_path):
    article = tmp_path / "kymriah.txt"
    article.write_text(ARTICLE + "The Sylvanian Medicines Directorate (SMD) approved Kymriah in May 2024.\n",
                       encoding="utf-8")
    draft = tmp_path / "draft.yaml"
    assert ctkg(str(article), "--out", str(draft), store=built.store_dir).returncode == 0
    done = ctkg("--check", str(draft), store=built.store_dir)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "jurisdiction" in done.stdout and "To confirm" in done.stdout
    article.write_text(ARTICLE, encoding="utf-8")
    good = tmp_path / "good.yaml"
    assert ctkg(str(article), "--out", str(good), store=built.store_dir).returncode == 0
    done = ctkg("--check", str(good), store=built.store_dir)
    assert done.returncode == 0, done.stdout + done.stderr


def test_evaluate_prints_the_table(built, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    gold = [{"kind": "approval", "product": "Kymriah", "inn": None, "sponsor": None, "authority": "Health Canada",
             "jurisdiction": "Canada", "date": None}]
    (folder / "a.facts.json").write_text(json.dumps(gold), encoding="utf-8")
    done = ctkg("--evaluate", str(folder), store=built.store_dir)
    assert done.returncode == 0, done.stderr
    assert "| approval | 1 | 1 | 1 | 1.00 | 1.00 | 1.00 |" in done.stdout
    assert "invented values: 0" in done.stdout


def test_build_does_not_read_data_drafts(tmp_path):
    data = tmp_path / "data"
    (data / "sources").mkdir(parents=True)
    (data / "reference").mkdir()
    shutil.copy(SEED, data / "sources" / SEED.name)
    shutil.copy(REGULATORS, data / "reference" / REGULATORS.name)
    (data / "drafts").mkdir()
    # A draft that would fail any build: it does not even parse as a facts file.
    (data / "drafts" / "unreviewed.yaml").write_text("source:\n  id: Not A Slug\nbogus: [\n", encoding="utf-8")
    assert [p.name for p in facts_files(data)] == [REGULATORS.name, SEED.name]
    report = build(settings_for(data, tmp_path / "store"))
    assert report.sources == 2
