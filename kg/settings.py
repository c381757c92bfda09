"""The library's settings (a build's inputs, the store, where `ctkg push` loads a build); each can be set by
an environment variable `CTKG_<NAME>`. The web API extends them with its own (serving, query bounds)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CTKG_", extra="ignore")

    # Inputs of a build.
    ontology_dir: Path = Path("ontology")
    shapes_dir: Path = Path("shapes")
    data_dir: Path = Path("data")
    # The store the API serves: `<store_dir>/current` points at the last complete build.
    store_dir: Path = Path("var/store")
    # Processes that read and check facts files in a large build; 0 means one per core.
    build_workers: int = Field(0, ge=0, le=64)
    # The SHACL engine of a build: pyshacl-turbo (Rust, faster) or pyshacl (the reference, which `ctkg validate`
    # always uses). The tests compare their findings; see kg/shacl.py.
    shacl_engine: Literal["pyshacl-turbo", "pyshacl"] = "pyshacl-turbo"

    # Where `ctkg push` loads a build: a SPARQL 1.1 Graph Store Protocol endpoint (Oxigraph: .../store).
    graph_store: str = ""
