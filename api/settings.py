"""The API's settings: where it listens, what it serves, and the bounds on every query.

They extend the library's settings (`kg.settings.Settings`, for `store_dir`), read from the same
`CTKG_<NAME>` environment variables.
"""

from pydantic import Field

from kg.settings import Settings as LibrarySettings


class Settings(LibrarySettings):
    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    base_url: str = ""  # public address of the API, used in the service description when set
    # A remote SPARQL 1.1 query endpoint holding what `ctkg push` loaded (e.g. http://10.0.0.5:7878/query);
    # when set the API queries it instead of the embedded store.
    sparql_endpoint: str = ""

    # Query bounds. Defaults follow what public services use (see the README).
    query_timeout_s: float = Field(10.0, gt=0)
    max_rows: int = Field(10_000, gt=0)
    max_query_bytes: int = Field(10_000, gt=0)
    max_query_nesting: int = Field(64, ge=1, le=500)  # brackets deeper than this are refused before parsing
    max_body_bytes: int = Field(64_000, gt=0)
    worker_memory_mb: int = Field(2048, ge=512)  # below this, RocksDB cannot open the store
    query_workers: int = Field(2, ge=1, le=64)
    max_concurrent_per_client: int = Field(4, ge=1)
