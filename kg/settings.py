"""All settings of CTKG in one place; each can be set by an environment variable `CTKG_<NAME>`."""

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
    # The SHACL engine of a build: pyshacl-turbo (Rust, ~7x faster) or pyshacl (the reference; `ctkg validate`
    # always uses it). They agree on every file we have; see kg/validate.py.
    shacl_engine: Literal["pyshacl-turbo", "pyshacl"] = "pyshacl-turbo"

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    base_url: str = ""  # public address of the API, used in the service description when set
    # A remote SPARQL 1.1 query endpoint holding what `ctkg push` loaded (e.g. http://10.0.0.5:7878/query);
    # when set the API queries it instead of the embedded store.
    sparql_endpoint: str = ""
    # Where `ctkg push` loads a build: a SPARQL 1.1 Graph Store Protocol endpoint (Oxigraph: .../store).
    graph_store: str = ""

    # Query bounds. Defaults follow what public services use (see the README).
    query_timeout_s: float = Field(10.0, gt=0)
    max_rows: int = Field(10_000, gt=0)
    max_query_bytes: int = Field(10_000, gt=0)
    max_query_nesting: int = Field(64, ge=1, le=500)  # brackets deeper than this are refused before parsing
    max_body_bytes: int = Field(64_000, gt=0)
    worker_memory_mb: int = Field(2048, ge=512)  # RocksDB needs about 300 MB to open
    query_workers: int = Field(2, ge=1, le=64)
    max_concurrent_per_client: int = Field(4, ge=1)
