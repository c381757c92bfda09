"""/sparql: a read-only SPARQL 1.1 Protocol endpoint.

Queries come by GET `?query=`, by POST of a form, or by POST of `application/sparql-query`, with
`default-graph-uri` and `named-graph-uri` (graphs of the store only). Before a worker sees a query its
size is checked here; the worker reads its tokens (nesting, updates, SERVICE: `api.screen.screen`), then
runs it against the deadline. Without a query, GET answers the service description. Errors are plain
text, as SPARQL clients expect.
"""

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Query
from fastapi.responses import Response
from rdflib import Namespace
from rdflib.namespace import DCTERMS, RDF, RDFS
from starlette.types import Receive, Scope, Send

from kg.rq import query_files
from kg.vocab import ONTOLOGY_IRI, PREFIXES

from ..answers import AnswerResponse
from ..cache import ENTRY_SHARE, AnswerCache, CachedAnswer, CurrentBuild, etag, matches, normalised
from ..errors import (
    BYTE_LIMIT_HEADER,
    ROW_LIMIT_HEADER,
    AnswersBusy,
    BadRequest,
    NotAcceptable,
    QueryError,
    QueryTooLarge,
    Unavailable,
    UnsupportedMediaType,
    UpdateRefused,
    headers_for,
)
from ..formats import formats, negotiate, offered
from ..jobs import QueryJob
from ..lookups import Lookups
from ..screen import check_size
from ..settings import Settings
from . import RETRY_AFTER

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
BUILD_HEADER = "CTKG-Build"  # which build answered: the same name as /health's `build`
READ_ONLY = ("This endpoint is read-only: SPARQL Update (the `update` parameter, application/sparql-update) "
             "is not accepted.")

# The bodies a POST may bring: a form, or the query itself; any other is refused before it is read.
QUERY_BODIES = ("application/x-www-form-urlencoded", "application/sparql-query")
_QUERY_HELP = ("A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE). Without it, GET answers the service "
               "description.")
_FORMAT_HELP = ("Overrides Accept, for browsers: json, xml, csv, tsv (SELECT, ASK); turtle, ntriples, jsonld, "
                "rdfxml (CONSTRUCT, DESCRIBE).")
_DESCRIPTION = """Run a read-only SPARQL 1.1 query, following the SPARQL 1.1 Protocol.

The default graph is the union of every source's named graph; `FROM`, `FROM NAMED`, `default-graph-uri` and
`named-graph-uri` may name graphs of the store (listed in the service description), and nothing else.
The project's prefixes (ctkg, id, rdf, rdfs, owl, xsd, skos, prov, dcterms, schema) are predeclared, and a
relative IRI is resolved against the instance namespace `https://w3id.org/ctkg/id/` (`<product/x>`).

Refused: updates (403); SERVICE, and FROM naming anything but a graph of the store (400); an empty query, a
syntax error or a function the endpoint lacks (400); a query over the size limit (413) or nested too deeply
(400); an answer the format asked for cannot carry (406, naming the formats that can). Bounded: a query
running past the time limit is stopped (503); an answer over the row limit is refused (422), never cut short."""
_RESULTS = {f.media_type: {} for f in formats("solutions", "graph")}


def _text_error(description: str, headers: dict | None = None) -> dict:
    """An error answer as the OpenAPI description shows it: plain text, as SPARQL clients expect."""
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}},
            **({"headers": headers} if headers else {})}


_ERRORS = {
    400: _text_error("An empty query, a syntax error, a function the endpoint lacks, SERVICE, a graph that is not "
                     "in the store, or brackets nested too deeply"),
    403: _text_error("An update"),
    406: _text_error("No acceptable format for this answer, or one that cannot carry it"),
    413: _text_error("The query, or the request body, is over its size limit"),
    422: _text_error("More rows (or triples) than the row limit, or more bytes than the answer size limit", {
        ROW_LIMIT_HEADER: {"description": "The row limit (when it was met)", "schema": {"type": "integer"}},
        BYTE_LIMIT_HEADER: {"description": "The answer size limit, in bytes (when it was met)",
                            "schema": {"type": "integer"}}}),
    429: _text_error("Too many requests in progress from this client", RETRY_AFTER),
    503: _text_error("The time limit was reached, no worker was free in time, or no graph is built", RETRY_AFTER),
}


class ExampleQueries(Mapping):
    """The named example queries of `api/queries/examples/`, as OpenAPI examples (`{name: {summary, value}}`,
    the summary being the file's first comment line). Read when the OpenAPI description is first built,
    not at import."""

    @cached_property
    def _examples(self) -> dict[str, dict[str, str]]:
        examples = {}
        for name, text in query_files("api", "queries/examples").items():
            first, _, rest = text.strip().partition("\n")
            if first.startswith("#"):
                examples[name] = {"summary": first.removeprefix("#").strip(), "value": rest.strip()}
            else:
                examples[name] = {"summary": name, "value": text.strip()}
        return examples

    def __getitem__(self, name: str) -> dict[str, str]:
        return self._examples[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._examples)

    def __len__(self) -> int:
        return len(self._examples)


_FORM_SCHEMA = {
    "type": "object",
    "required": ["query"],
    "properties": {
        "query": {"type": "string", "description": _QUERY_HELP},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
        "format": {"type": "string", "description": _FORMAT_HELP},
    },
}


async def _body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise QueryTooLarge(f"The request body is {declared} bytes; this endpoint accepts at most {limit}.")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise QueryTooLarge(f"The request body is over {limit} bytes, this endpoint's limit.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class ClientGone(Exception):
    """The client went away before its request's body was complete: nobody to answer."""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"The {what} is not UTF-8 text.") from None


def _node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def service_description(endpoint: str, graphs: list[str], settings: Settings) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint, as triples."""
    try:
        service: ox.NamedNode | ox.BlankNode = ox.NamedNode(endpoint)
    except ValueError:  # a base URL that makes no IRI
        service = ox.BlankNode()
    dataset, default_graph, available = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    a = _node(RDF.type)
    triples = [
        ox.Triple(service, a, _node(SD.Service)),
        ox.Triple(service, _node(SD.supportedLanguage), _node(SD.SPARQL11Query)),
        ox.Triple(service, _node(SD.feature), _node(SD.UnionDefaultGraph)),
        ox.Triple(service, _node(SD.defaultEntailmentRegime), _node(ENTAILMENT.Simple)),
        ox.Triple(service, _node(DCTERMS.title), ox.Literal("CTKG SPARQL endpoint")),
        ox.Triple(service, _node(RDFS.comment), ox.Literal(
            f"Read-only. A query may run {settings.query_timeout_s:g} s and answer {settings.max_rows} rows at most; "
            "SERVICE is refused. The default graph is the union of the named graphs.")),
        ox.Triple(service, _node(SD.defaultDataset), dataset),
        ox.Triple(dataset, a, _node(SD.Dataset)),
        ox.Triple(dataset, _node(SD.defaultGraph), default_graph),
        ox.Triple(default_graph, a, _node(SD.Graph)),
        ox.Triple(service, _node(SD.availableGraphs), available),
        ox.Triple(available, a, _node(SD.GraphCollection)),
    ]
    if isinstance(service, ox.NamedNode):
        triples.append(ox.Triple(service, _node(SD.endpoint), service))
    for fmt in formats("solutions", "graph"):
        triples.append(ox.Triple(service, _node(SD.resultFormat), ox.NamedNode(fmt.syntax.iri)))
    for graph in graphs:
        named = ox.BlankNode()
        triples += [ox.Triple(dataset, _node(SD.namedGraph), named), ox.Triple(available, _node(SD.namedGraph), named),
                    ox.Triple(named, a, _node(SD.NamedGraph)), ox.Triple(named, _node(SD.name), ox.NamedNode(graph))]
    return triples


class SparqlEndpoint:
    """The `/sparql` route, as a plain ASGI app: a point lookup costs a fraction of a millisecond here, which
    FastAPI's parameter handling would double (its OpenAPI description comes from `router` below, which
    is routed after it). `api.guards` and `api.headers` stand in front of it as of every route."""

    def __init__(self, lookups: Lookups, settings: Settings, cache: AnswerCache | None):
        self.lookups, self.settings, self.pool = lookups, settings, lookups.pool
        self.cache = cache
        # The build being served, read at each query (a readlink); emptying the cache when it changes.
        self.current = CurrentBuild(settings.store_dir, cache) if cache is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["method"] == "POST":
                await self._post(scope, receive, send)
            else:
                await self._get(scope, send)
        except QueryError as exc:
            await _send_error(send, exc, self.settings)
        except ClientGone:
            pass

    async def _get(self, scope: Scope, send: Send) -> None:
        fields = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if any(name == "update" for name, _ in fields):
            raise UpdateRefused(READ_ONLY)
        queries = [value for name, value in fields if name == "query"]
        if len(queries) > 1:
            raise BadRequest("Give one query parameter, not several.")
        requested = [v for n, v in fields if n == "format"]
        if not queries:
            await self._describe_service(scope, send, requested)
            return
        await self._answer(scope, send, queries[0], [v for n, v in fields if n == "default-graph-uri"],
                           [v for n, v in fields if n == "named-graph-uri"], requested)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        media_type = _header(scope, b"content-type").split(";")[0].strip().lower()
        if media_type == "application/sparql-update":
            raise UpdateRefused(READ_ONLY)
        if media_type not in QUERY_BODIES:
            raise UnsupportedMediaType("POST a form (application/x-www-form-urlencoded) or the query itself "
                                       "(application/sparql-query).")
        body = await _body(scope, receive, self.settings.max_body_bytes)
        url = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if media_type == "application/sparql-query":
            await self._answer(scope, send, _text(body, "query"), [v for n, v in url if n == "default-graph-uri"],
                               [v for n, v in url if n == "named-graph-uri"], [v for n, v in url if n == "format"])
            return
        try:
            fields = parse_qsl(_text(body, "form"), keep_blank_values=True, strict_parsing=False, max_num_fields=100)
        except ValueError:
            raise BadRequest("The form has too many fields.") from None
        if any(name == "update" for name, _ in fields):
            raise UpdateRefused(READ_ONLY)
        queries = [value for name, value in fields if name == "query"]
        if len(queries) != 1:
            raise BadRequest("Give exactly one query field.")

        def field(name: str) -> list[str]:  # from the form, else from the URL
            return [v for n, v in fields if n == name] or [v for n, v in url if n == name]

        await self._answer(scope, send, queries[0], field("default-graph-uri"), field("named-graph-uri"),
                           field("format"))

    async def _describe_service(self, scope: Scope, send: Send, requested: list[str]) -> None:
        settings = self.settings
        fmt = negotiate(_header(scope, b"accept") or None, ["graph"], requested)
        if fmt is None:
            raise NotAcceptable(f"The service description is available as {offered('graph')}.")
        endpoint = settings.public_url() + "/sparql"  # never from the request's Host header
        try:
            _, manifest = await self.lookups.manifest()
            graphs = [str(ONTOLOGY_IRI), *manifest.get("sources", [])]
        except Unavailable:
            graphs = []
        prefixes = {"sd": str(SD), **{p: ns for p, ns in PREFIXES.items() if p != "id"}}
        body = ox.serialize(service_description(endpoint, graphs, settings), format=fmt.syntax, prefixes=prefixes)
        await _send_whole(send, 200, body, fmt.media_type, [(b"vary", b"Accept")])

    async def _answer(self, scope: Scope, send: Send, query: str, default_graphs: list[str],
                      named_graphs: list[str], requested: list[str]) -> None:
        settings = self.settings
        accept = _header(scope, b"accept") or None
        chosen = {kind: fmt.name for kind in ("solutions", "graph")
                  if (fmt := negotiate(accept, [kind], requested)) is not None}
        dataset = bool(default_graphs or named_graphs)
        defaults, named = (tuple(default_graphs), tuple(named_graphs)) if dataset else (None, None)
        build = self.current.name() if self.current is not None and chosen else None
        key = (build, normalised(query), defaults, named, tuple(chosen.items())) if build else None
        # A kept answer's query passed the screen, and one with the same key nests as deep (only white space and
        # comments differ); its size is checked again. A client that sends `Cache-Control: no-cache` (or
        # no-store) asks for an answer made for it.
        if (key is not None and "no-" not in _header(scope, b"cache-control")
                and len(query.encode("utf-8", "surrogatepass")) <= settings.max_query_bytes
                and (kept := self.cache.get(key)) is not None):
            await self._send_kept(scope, send, kept)
            return
        check_size(query, settings.max_query_bytes)  # the worker reads its tokens (`api.screen.screen`)
        if not chosen:
            raise NotAcceptable(f"A query's answer is available as {offered('solutions', 'graph')}.")
        job = QueryJob(query, chosen, default_graphs=defaults, named_graphs=named)
        answer = await self.pool.fetch(job)  # streamed from the server's hold on it (api.answers)
        answered_by = Path(answer.head.build).name if answer.head.build else None
        headers = [(b"vary", b"Accept")]
        if answered_by:
            headers.append((BUILD_HEADER_RAW, answered_by.encode()))
        if key is not None and answered_by == build and answer.head.size * ENTRY_SHARE <= self.cache.limit:
            body = answer.whole()  # small: whole, and still held against the answer budget until sent
            kept = CachedAnswer(body, answer.head.media_type, answered_by, etag(body))
            self.cache.put(key, kept)
            headers += [(b"etag", kept.etag.encode()), CACHE_CONTROL]
            if matches(_header(scope, b"if-none-match"), kept.etag):
                answer.reservation.release()
                await _send_whole(send, 304, b"", None, headers)
                return
        await AnswerResponse(answer, headers=headers)(scope, None, send)

    async def _send_kept(self, scope: Scope, send: Send, kept: CachedAnswer) -> None:
        headers = [(b"vary", b"Accept"), (BUILD_HEADER_RAW, kept.build.encode()), (b"etag", kept.etag.encode()),
                   CACHE_CONTROL]
        if matches(_header(scope, b"if-none-match"), kept.etag):
            await _send_whole(send, 304, b"", None, headers)
            return
        # A kept answer sent to a client holds its share of the answer budget, as any answer does: the bytes
        # are shared with the cache, but outlive it if the entry is dropped while a slow client reads.
        reservation = self.pool.budget.reserve(len(kept.body))
        if reservation is None:
            raise AnswersBusy("The server holds as many answers as it may for clients still reading them; "
                              "try again shortly.")
        try:
            await _send_whole(send, 200, kept.body, kept.media_type, headers)
        finally:
            reservation.release()


BUILD_HEADER_RAW = BUILD_HEADER.lower().encode()
# Any cache may keep an answer, but must ask (If-None-Match) before using it again: a new build can come at any
# time. The answer is the same for every client (no credentials, the public address), so shared caches may too.
CACHE_CONTROL = (b"cache-control", b"no-cache")


async def _send_whole(send: Send, status: int, body: bytes, media_type: str | None,
                      headers: list[tuple[bytes, bytes]]) -> None:
    head = list(headers)
    if media_type is not None:
        head.append((b"content-type", media_type.encode()))
    if status != 304:
        head.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, exc: QueryError, settings: Settings) -> None:
    headers = headers_for(exc, settings.max_rows, settings.max_answer_bytes)
    await _send_whole(send, exc.status, (exc.message + "\n").encode("utf-8"), "text/plain; charset=utf-8",
                      [(name.lower().encode(), value.encode()) for name, value in headers.items()])


router = APIRouter(tags=["sparql"])


# The OpenAPI description of /sparql. Requests never reach these two: `SparqlEndpoint` is routed before them
# (`api.app`), and answers them without FastAPI's parameter handling.
@router.get("/sparql", summary="SPARQL query by GET, or the service description", description=_DESCRIPTION,
            responses={200: {"content": _RESULTS}, **_ERRORS})
async def sparql_get(
    query: Annotated[str | None, Query(description=_QUERY_HELP, openapi_examples=ExampleQueries())] = None,
    default_graph_uri: Annotated[tuple[str, ...], Query(alias="default-graph-uri")] = (),
    named_graph_uri: Annotated[tuple[str, ...], Query(alias="named-graph-uri")] = (),
    format: Annotated[tuple[str, ...], Query(description=_FORMAT_HELP)] = (),
) -> Response:
    raise NotImplementedError("answered by SparqlEndpoint")


@router.post("/sparql", summary="SPARQL query by POST", description=_DESCRIPTION,
             responses={200: {"content": _RESULTS}, **_ERRORS,
                        415: _text_error("Neither a form nor application/sparql-query")},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                 "application/sparql-query": {"schema": {"type": "string"}}}}})
async def sparql_post() -> Response:
    raise NotImplementedError("answered by SparqlEndpoint")
