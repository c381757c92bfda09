"""A remote SPARQL 1.1 server as the graph a query worker reads (`CTKG_SPARQL_ENDPOINT`), instead of the
embedded store.

The server holds what `ctkg push` loaded: every named graph of a build, and their union, as a set, in its
default graph, as the embedded store has them. A worker sends a query that the screen has already passed
(`api.screen`) by the SPARQL 1.1 Protocol, as a form POST with the project's prefixes declared in front of
it, and reads the answer as it streams in: solutions as TSV, graphs as N-Triples, a boolean as JSON. The
worker stops reading at the row limit and closes the connection; at the deadline the server kills the
worker, which closes it too. Closing a connection does not stop every engine's query: Oxigraph server's
does not (docs/remote.md says what that means, and what Fuseki does).

Nothing but the query endpoint is ever contacted: no redirects are followed and no proxy settings are
read from the environment.
"""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pyoxigraph as ox

from kg.rq import read_query
from kg.sparql_text import bind_values
from kg.vocab import sparql_prologue

from .errors import EngineError, QuerySyntaxError, QueryTimeout, StoreUnavailable

log = logging.getLogger("ctkg.api.remote")

ACCEPT = {  # what to ask for, by query form: formats that stream, one row or triple at a time
    "SELECT": "text/tab-separated-values",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples",
    "DESCRIBE": "application/n-triples",
}
UNREACHABLE = "The SPARQL server that holds the graph cannot be reached; try again later."


class _ResponseReader(io.RawIOBase):
    """A streaming HTTP response body as a binary file, which pyoxigraph's parsers read as they go."""

    def __init__(self, response: httpx.Response):
        self._chunks = response.iter_bytes()
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class RemoteGraph:
    """The graph on a SPARQL server: `query` yields a pyoxigraph answer (QuerySolutions, QueryBoolean, or an
    iterator of triples) parsed as it streams."""

    def __init__(self, endpoint: str, timeout_s: float):
        self.endpoint = endpoint
        self.prologue = sparql_prologue()
        self._graph_exists = read_query("api", "queries", "graph-exists")
        # A backstop only: the API server kills the worker at the query's deadline.
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_s + 5), trust_env=False, follow_redirects=False)

    @contextmanager
    def query(self, text: str, form: str, default_graphs: tuple[str, ...] = (),
              named_graphs: tuple[str, ...] = ()) -> Iterator[object]:
        form_fields = {"query": self.prologue + text, "default-graph-uri": list(default_graphs),
                       "named-graph-uri": list(named_graphs)}
        try:
            with self.client.stream("POST", self.endpoint, data=form_fields,
                                    headers={"Accept": ACCEPT[form]}) as response:
                self._check(response)
                yield self._parse(response, form)
        except httpx.TimeoutException:
            raise QueryTimeout("The SPARQL server that holds the graph did not answer in time.") from None
        except httpx.HTTPError as exc:
            log.warning("the SPARQL server at %s failed: %s", self.endpoint, exc)
            raise StoreUnavailable(UNREACHABLE) from None

    def has_graph(self, iri: str) -> bool:
        with self.query(bind_values(self._graph_exists, {"graph": ox.NamedNode(iri)}), "ASK") as answer:
            return bool(answer)

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code == 200:
            return
        detail = response.read().decode("utf-8", "replace").strip()[:500]
        log.warning("the SPARQL server answered %s: %s", response.status_code, detail)
        if response.status_code == 400:
            raise QuerySyntaxError(detail)
        if response.status_code in (503, 504) or "timeout" in detail.lower() or "timed out" in detail.lower():
            raise QueryTimeout("The SPARQL server that holds the graph stopped the query at its time limit.")
        raise StoreUnavailable(UNREACHABLE)

    @staticmethod
    def _parse(response: httpx.Response, form: str):
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        body = io.BufferedReader(_ResponseReader(response), 64 * 1024)
        if form in ("SELECT", "ASK"):
            results_format = ox.QueryResultsFormat.from_media_type(media_type)
            if results_format is None:
                raise EngineError(f"The SPARQL server answered in a format this API does not read ({media_type}).")
            return ox.parse_query_results(body, format=results_format)
        rdf_format = ox.RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            raise EngineError(f"The SPARQL server answered in a format this API does not read ({media_type}).")
        return (quad.triple for quad in ox.parse(body, format=rdf_format))
