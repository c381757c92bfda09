"""Fixtures for the library tests: settings that point at the repository's real ontology, shapes and
data, and a store built from them once per session."""

import shutil
from pathlib import Path

import pytest

from kg.build import build
from kg.settings import Settings
from kg.store import open_read_only

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"


def settings_for(data_dir: Path, store_dir: Path) -> Settings:
    return Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=data_dir, store_dir=store_dir)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Settings:
    """The real data built into a fresh store."""
    settings = settings_for(ROOT / "data", tmp_path_factory.mktemp("store"))
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built):
    db, _ = open_read_only(built.store_dir)
    return db


@pytest.fixture
def seed_only(tmp_path) -> Path:
    """A data directory holding only the seed article's facts, to edit in a test."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    return data


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory):
    """A store built from the seed article alone: the competency answers are checked against it."""
    data = tmp_path_factory.mktemp("seed-data")
    shutil.copy(SEED, data / SEED.name)
    settings = settings_for(data, tmp_path_factory.mktemp("seed-store"))
    build(settings)
    db, _ = open_read_only(settings.store_dir)
    return db
