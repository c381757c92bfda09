"""The API's settings: where it listens, what it serves, and the bounds on every query.

They extend the library's settings (`kg.settings.Settings`, for `store_dir`), read from the same
`CTKG_<NAME>` environment variables.
"""

import ipaddress

from pydantic import Field

from kg.errors import CTKGError
from kg.settings import Settings as LibrarySettings


class SettingsError(CTKGError):
    """Settings that cannot serve together (a public address is missing)."""


class Settings(LibrarySettings):
    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # The public address of the API (https://ctkg.example.org, or with a path the proxy strips): every link,
    # redirect and the service description start with it, never with a request's Host header, which a client
    # chooses (a cache in front would keep a poisoned page for everyone). Required when listening beyond
    # loopback; unset, the configured http://host:port is used (`public_url`).
    base_url: str = Field("", pattern=r"^(https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?)?$")
    # Proxies whose X-Forwarded-For (the client's address) and X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated (uvicorn's forwarded_allow_ips). None by default: a client could otherwise
    # name any address and escape the per-client limit.
    forwarded_allow_ips: str = ""
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
    # `ctkg serve` and its query workers allocate with jemalloc when the library is installed (Debian's
    # libjemalloc2): pyoxigraph's queries run faster with it (bench/README.md). False keeps glibc's malloc.
    jemalloc: bool = True
    query_workers: int = Field(2, ge=1, le=64)
    max_concurrent_per_client: int = Field(4, ge=1)
    max_answer_bytes: int = Field(16_000_000, gt=0)  # one answer, in the format asked for: 422 beyond
    answer_budget_bytes: int = Field(128_000_000, gt=0)  # all the answers the server holds at once: 503 beyond
    # /sparql answers kept for repeated queries (`api.cache`), in bytes; 0 keeps none. Embedded store only.
    answer_cache_bytes: int = Field(64_000_000, ge=0)
    # Whole /sparql responses replayed for the same request bytes (`api.replay`), in bytes; 0 keeps none. Only
    # answers the answer cache kept, so nothing when `answer_cache_bytes` is 0.
    replay_cache_bytes: int = Field(16_000_000, ge=0)

    # Connection bounds (`api.connections`, `api.guards`).
    keep_alive_timeout_s: float = Field(5.0, gt=0)  # a connection idle before or between requests is closed
    header_timeout_s: float = Field(10.0, gt=0)  # a request's headers, from its first byte: 408 beyond
    body_timeout_s: float = Field(30.0, gt=0)  # a request's body, once its headers are in: 408 beyond
    send_timeout_s: float = Field(10.0, gt=0)  # a client that takes nothing of its answer this long is dropped
    max_connections: int = Field(1000, ge=1)  # open connections (less if the file descriptor limit is lower): 503
    max_concurrent_requests: int = Field(64, ge=1)  # requests in progress from all clients: 503

    def public_url(self) -> str:
        """The address links are written with, without a trailing slash: `base_url`, or, when the server
        listens on loopback only (development), its own configured host and port.

        >>> Settings(port=8001).public_url()
        'http://127.0.0.1:8001'
        >>> Settings(host="::1", base_url="https://ctkg.example.org/kg/").public_url()
        'https://ctkg.example.org/kg'
        """
        if self.base_url:
            return self.base_url.rstrip("/")
        if not _is_loopback(self.host):
            raise SettingsError(f"Listening on {self.host}, the API needs its public address: set CTKG_BASE_URL "
                                "(e.g. https://ctkg.example.org), which links and redirects are written with.")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
