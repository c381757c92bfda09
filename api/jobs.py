"""What crosses the pipe between the server and a query worker: a `QueryJob` one way, and back a
`QueryAnswer`, a `JobFailed` (an `api.errors` type by name, and its message), or `WorkerReady` once.

A `QueryAnswer` of up to `CHUNK_BYTES` crosses whole (a worker holds no more than that for the server, which
takes it into its answer budget or drops it). A larger one crosses without its body, which follows only if the
server answers True (it has room for it, `api.answers`), as chunks of at most `CHUNK_BYTES`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

Term = ox.NamedNode | ox.Literal
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Page:
    """A window on an answer's items: `limit` items after skipping `offset`, an item being a run of
    consecutive rows with the same value of `key` (the query orders by it); with `after` (a value of `key`),
    the items are skipped from the one after the first item with that value. The total is counted."""

    offset: int
    limit: int
    key: str
    after: str | None = None


@dataclass(frozen=True)
class QueryJob:
    sparql: str
    formats: Mapping[str, str]  # kind of answer ("solutions", "graph") -> format name (api.formats)
    bindings: Mapping[str, Term] = field(default_factory=dict)  # values for variables (kg.sparql_text.bind_values)
    default_graphs: tuple[str, ...] | None = None  # the protocol's default-graph-uri: replaces the query's dataset
    named_graphs: tuple[str, ...] | None = None  # the protocol's named-graph-uri
    trusted: bool = False  # the API's own queries (api/queries) skip the screen; a client's never do
    page: Page | None = None

    @property
    def protocol_dataset(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    media_type: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE ("graph" for the two last when not screened)
    count: int  # rows, or triples, in the body; of a SELECT answer written as JSON, at most that many (`_JsonRows`)
    total: int | None = None  # with a Page: the number of items in the whole answer
    build: str | None = None  # the directory of the build that answered (one build per answer, never a mix)
    size: int = 0  # the body's size in bytes; from a worker the body is left out here and follows in chunks


@dataclass(frozen=True)
class JobFailed:
    """A job the worker could not answer: the name of the `api.errors` type it raised, and its message."""

    error: str
    message: str


@dataclass(frozen=True)
class WorkerReady:
    """A worker's first message: it has started and opened the store."""

    pid: int
