"""Fixtures for the library tests: settings that point at the repository's real ontology, shapes and
data, a store built from them once per session, and what a store holds, read back."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.settings import Settings
from kg.store import open_read_only

from .synthetic import SYNTHETIC

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"
REGULATORS = ROOT / "data" / "reference" / "pics-applicants.yaml"  # builds beside the seed alone
# The OWL API check of Protégé files (`owl_checker`): a Java program against Debian's libowlapi-java.
CHECKER_SOURCE = ROOT / "tests" / "owl" / "CheckOntology.java"

APT_LINE = "apt-get install -y --no-install-recommends default-jdk-headless libowlapi-java"
# Where Debian's libowlapi-java and its dependencies put their jars.
JAVA_LIBRARY = Path("/usr/share/java")
OWLAPI_JARS = ("owlapi-distribution", "guava", "caffeine", "commons-rdf-api", "commons-io", "commons-codec",
               "hppcrt", "jsr305", "atinject-jsr330-api", "xz", "slf4j-api", "slf4j-nop")


def settings_for(data_dir: Path, store_dir: Path) -> Settings:
    return Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=data_dir, store_dir=store_dir)


def snapshot(store_dir: Path) -> set[str]:
    """Every quad of the current build in `store_dir`."""
    db, _ = open_read_only(store_dir)
    return {str(q) for q in db}


def named_quads_of(store: ox.Store) -> set[ox.Quad]:
    """Every quad of a named graph, read from the store itself."""
    return {q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}


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


@pytest.fixture
def synthetic_data(tmp_path) -> Path:
    """A fresh copy of the synthetic facts (tests/kg/data/synthetic), to edit."""
    return Path(shutil.copytree(SYNTHETIC, tmp_path / "data"))


def owlapi_classpath() -> list[str]:
    """OWLAPI_CLASSPATH if set, else the jars of Debian's libowlapi-java; skips if there are none."""
    if os.environ.get("OWLAPI_CLASSPATH"):
        return os.environ["OWLAPI_CLASSPATH"].split(os.pathsep)
    if not (JAVA_LIBRARY / "owlapi-distribution.jar").exists():
        pytest.skip(f"the OWL API jar is missing from {JAVA_LIBRARY}; install with: {APT_LINE}")
    jars = [JAVA_LIBRARY / f"{name}.jar" for name in OWLAPI_JARS]
    missing = [jar for jar in jars if not jar.exists()]
    assert not missing, f"libowlapi-java is installed but its dependencies are not: {missing}"
    # Every rdf4j module: the OWL API loads all its parsers, and one missing module breaks them all.
    jars += sorted(jar for jar in JAVA_LIBRARY.glob("rdf4j-*.jar") if not re.search(r"\d\.jar$", jar.name))
    return [str(jar) for jar in jars]


@pytest.fixture(scope="session")
def owl_checker(tmp_path_factory):
    """Compile CheckOntology.java once; return a function that runs it on a file."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if not (java and javac):
        pytest.skip(f"java and javac are needed for the OWL API check; install with: {APT_LINE}")
    classpath = owlapi_classpath()
    classes = tmp_path_factory.mktemp("owl-checker")
    compiled = subprocess.run([javac, "-cp", os.pathsep.join(classpath), "-d", str(classes), str(CHECKER_SOURCE)],
                              capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr

    def check(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([java, "-cp", os.pathsep.join([*classpath, str(classes)]), "CheckOntology", str(path)],
                              capture_output=True, text=True, timeout=300)

    return check
