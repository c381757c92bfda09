"""How a query worker answers a job: the store (or remote server) it reads, the query run against the
job's dataset, and the answer serialized in the format asked for, paged and held to the row cap.

An `Engine` runs in a worker process (`api.worker`); tests also use it directly.
"""

import contextlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import XSD

from kg.errors import StoreError
from kg.sparql_text import bind_values
from kg.store import StoreLayout, open_read_only

from .errors import (
    AnswerTooLarge,
    BadRequest,
    EngineError,
    GraphRefused,
    NotAcceptable,
    NotFound,
    QueryError,
    QuerySyntaxError,
    StoreUnavailable,
    TooManyRows,
)
from .formats import Format, by_name, formats
from .jobs import Page, QueryAnswer, QueryJob
from .remote import RemoteGraph
from .screen import BASE_IRI
from .settings import Settings

log = logging.getLogger("ctkg.api.engine")

XSD_STRING = str(XSD.string)


class Engine:
    """A worker's side: the store it has open, and how it answers a job."""

    def __init__(self, store_dir: Path, max_rows: int, prefixes: Mapping[str, str], endpoint: str = "",
                 timeout_s: float = 10.0, max_answer_bytes: int | None = None,
                 max_nesting: int = Settings.model_fields["max_query_nesting"].default):
        self.store_dir = Path(store_dir)
        self.max_rows = max_rows
        self.max_nesting = max_nesting  # a client's query nesting deeper is refused before any parser reads it
        self.max_answer_bytes = max_answer_bytes  # the worker checks the answer; the TSV written first stops here
        self.prefixes = dict(prefixes)
        # With an endpoint, the graph is on a remote SPARQL server (`ctkg push` loaded it) and the store is unused.
        self.remote = RemoteGraph(endpoint, timeout_s) if endpoint else None
        # `id:` is left out of serialized graphs: `id:product\/x` is valid Turtle but a full IRI reads better.
        self._serialization_prefixes = {p: ns for p, ns in self.prefixes.items() if p != "id"}
        self._store: ox.Store | None = None
        self._build: Path | None = None
        self._current = StoreLayout(self.store_dir).current
        self._link: str | None = None  # what `current` pointed to when the store was opened
        # An empty store in memory: a client's query is read (parsed and planned) on it before a remote server
        # runs it, so that what the store refuses (an unknown function) is refused alike with either backend.
        self._planner = ox.Store()

    def store(self) -> ox.Store:
        """The current build, opened again if `ctkg build` has published a new one since (`current`, a symbolic
        link, is read once a query: one system call, not a resolution of the whole path)."""
        link = self._current_link()
        if self._store is not None and link is not None and link == self._link:
            return self._store
        try:
            current = StoreLayout(self.store_dir).current_build()
            if self._store is None or current != self._build:
                self._store, self._build = None, None
                self._store, self._build = open_read_only(self.store_dir)
            self._link = link
        except StoreError as exc:
            log.warning("the graph is not available: %s", exc)  # with its path: for the operator, not the client
            raise StoreUnavailable() from None
        return self._store

    def keep_up(self) -> None:
        """For an idle worker: open the build being served now if `ctkg build` has published another since this
        worker's last query, so that it does not hold the old one open (its files, and their disk space once
        `ctkg build` prunes it) until its next query, which may be long in coming."""
        link = self._current_link()
        if self._store is not None and link is not None and link != self._link:
            with contextlib.suppress(QueryError):  # said in the log; the next query says it to its client
                self.store()

    def _current_link(self) -> str | None:
        """Where `current` points, or None when it cannot be read."""
        try:
            return os.readlink(self._current)
        except OSError:
            return None

    def answer(self, job: QueryJob) -> QueryAnswer:
        from .screen import explain_syntax_error, screen

        shape = None if job.trusted else screen(job.sparql, self.prefixes, self.max_nesting)
        if shape is not None:
            kind = "solutions" if shape.form in ("SELECT", "ASK") else "graph"
            if kind not in job.formats:
                raise NotAcceptable(f"A {shape.form} query cannot be answered in the format asked for.")
        if job.protocol_dataset:
            self._check_graphs((*(job.default_graphs or ()), *(job.named_graphs or ())), "the request")
        elif shape is not None and shape.has_dataset:
            self._check_graphs((*shape.default_graphs, *shape.named_graphs), "FROM")
        # With no dataset given, the default graph is read: the build fills it with the union of every source's
        # graph, as a set (pyoxigraph's use_default_graph_as_union would count shared triples twice).
        text = bind_values(job.sparql, job.bindings)
        try:
            if self.remote is not None:
                if not job.trusted:  # read it as the store would, so that the remote server's 500s are not met
                    self._planner.query(text, prefixes=self.prefixes, base_iri=BASE_IRI)
                form = shape.form if shape else ("SELECT" if "solutions" in job.formats else "CONSTRUCT")
                with self.remote.query(f"BASE <{BASE_IRI}>\n{text}", form, job.default_graphs or (),
                                       job.named_graphs or ()) as result:
                    return self._serialize(result, job, shape.form if shape else None)
            options: dict = {"prefixes": self.prefixes, "base_iri": BASE_IRI}
            if job.protocol_dataset:
                options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
                options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
            store = self.store()
            result = store.query(text, **options)
            answer = self._serialize(result, job, shape.form if shape else None,
                                     again=lambda: store.query(text, **options))
            return replace(answer, build=str(self._build))
        except (SyntaxError, QuerySyntaxError) as exc:  # the store's parser, or the remote server's 400
            message = exc.message if isinstance(exc, QuerySyntaxError) else str(exc)
            if job.trusted:
                raise EngineError(f"The API's own query could not be read: {message}") from None
            raise explain_syntax_error(job.sparql, self.prefixes, message) from None
        except RuntimeError as exc:  # pyoxigraph cannot do what the query asks, e.g. call a function it lacks
            if job.trusted:
                raise EngineError(f"The API's own query could not be run: {exc}") from None
            raise BadRequest(_cannot_run(str(exc))) from None
        except ValueError as exc:  # e.g. bindings for a query without a WHERE keyword
            raise EngineError(f"The query could not be run: {exc}") from None
        except OSError as exc:
            raise EngineError(f"The graph could not be read ({exc.__class__.__name__}).") from None

    def _check_graphs(self, iris: tuple[str, ...], where: str) -> None:
        for iri in iris:
            try:
                graph = ox.NamedNode(iri)
            except ValueError:
                known = False
            else:
                known = self.remote.has_graph(iri) if self.remote else self.store().contains_named_graph(graph)
            if not known:
                raise GraphRefused(
                    f"{where} names <{iri[:200]}>, which is not a graph of this store; nothing is ever fetched. "
                    "The graphs are listed in the service description (GET /sparql).")

    def _serialize(self, result, job: QueryJob, form: str | None, again=None) -> QueryAnswer:
        """The answer in the format asked for. `again` runs the query anew: a JSON answer is written directly
        (`_JsonRows`), and counted exactly as TSV only when its rows may pass the cap."""
        if isinstance(result, ox.QueryBoolean):
            fmt = self._format(job, "solutions")
            return QueryAnswer(result.serialize(format=fmt.syntax), fmt.media_type, "ASK", 1)
        if isinstance(result, ox.QuerySolutions):
            fmt = self._format(job, "solutions")
            if job.page is None:  # the whole answer: serialized by pyoxigraph, in Rust, not row by row in Python
                if fmt.syntax == ox.QueryResultsFormat.JSON and again is not None:
                    sink = _JsonRows(self.max_rows, self.max_answer_bytes)
                    try:
                        result.serialize(sink, format=ox.QueryResultsFormat.JSON)
                        return QueryAnswer(sink.body(), fmt.media_type, "SELECT", sink.rows)
                    except _MayPassTheCap:
                        result = again()  # counted exactly, as TSV, below
                sink = _RowCap(self.max_rows, self.max_answer_bytes, csv=fmt.name == "csv")
                result.serialize(sink, format=ox.QueryResultsFormat.TSV)
                body = sink.body()
                if fmt.syntax != ox.QueryResultsFormat.TSV:
                    body = _written(fmt, lambda: ox.parse_query_results(
                        body, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.syntax))
                return QueryAnswer(body, fmt.media_type, "SELECT", sink.rows)
            variables = [v.value for v in result.variables]
            rows, total = self._take(result, job.page)
            body = results_json(variables, rows)
            if fmt.syntax != ox.QueryResultsFormat.JSON:
                body = _written(fmt, lambda: ox.parse_query_results(
                    body, format=ox.QueryResultsFormat.JSON).serialize(format=fmt.syntax))
            return QueryAnswer(body, fmt.media_type, "SELECT", len(rows), total)
        fmt = self._format(job, "graph")
        # A graph is a set, but DESCRIBE on the union default graph repeats a triple once per source.
        triples: dict[ox.Triple, None] = {}
        for triple in result:
            triples[triple] = None
            if len(triples) > self.max_rows:
                raise TooManyRows(_too_many(self.max_rows, "triples"))
        if fmt.syntax == ox.RdfFormat.RDF_XML:
            _check_xml_names(triples)
        body = _written(fmt, lambda: ox.serialize(triples, format=fmt.syntax, prefixes=self._serialization_prefixes))
        return QueryAnswer(body, fmt.media_type, form or "graph", len(triples))

    @staticmethod
    def _format(job: QueryJob, kind: str) -> Format:
        if kind not in job.formats:
            raise NotAcceptable("The answer cannot be given in the format asked for.")
        return by_name(kind, job.formats[kind])

    def _take(self, solutions: ox.QuerySolutions, page: Page) -> tuple[list[ox.QuerySolution], int]:
        """One page of rows, and the total item count; NotFound when no item is the page's `after`."""
        rows, item, previous = [], -1, object()
        start = page.offset if page.after is None else None  # the first item of the page, once known
        for solution in solutions:
            key = solution[page.key]
            if key != previous:
                item, previous = item + 1, key
                if start is None and key is not None and key.value == page.after:
                    start = item + 1 + page.offset
            if start is not None and start <= item < start + page.limit:
                rows.append(solution)
                if len(rows) > self.max_rows:
                    raise TooManyRows(_too_many(self.max_rows, "rows"))
        if start is None:
            raise NotFound(NOT_LISTED)
        return rows, item + 1


# What XML 1.0 cannot carry, in UTF-8: C0 controls but tab and line ends, U+FFFE and U+FFFF.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
# The end of an IRI that RDF/XML can write as an element name (an NCName); without one it cannot be a predicate.
_XML_NAME_END = re.compile(r"[^\W\d][\w.\-\u00b7]*$")


def _cannot_write(fmt: Format, why: str) -> NotAcceptable:
    others = ", ".join(f.media_type for f in formats(fmt.kind) if f.name != fmt.name)
    return NotAcceptable(f"This answer cannot be written as {fmt.media_type}: {why}. Ask for {others} instead.")


def _written(fmt: Format, serialize) -> bytes:
    """What `serialize` writes in `fmt`; NotAcceptable when the format cannot carry the answer (a triple term in
    JSON-LD, a control character in XML) rather than a broken document."""
    try:
        body = serialize()
    except (OSError, ValueError) as exc:  # pyoxigraph's serializers refuse what their syntax lacks
        raise _cannot_write(fmt, str(exc).rstrip(".")) from None
    if fmt.name in ("xml", "rdfxml") and (bad := _NOT_XML.search(body)):
        char = bad.group().decode("utf-8")
        raise _cannot_write(fmt, f"it has the character U+{ord(char):04X}, which XML 1.0 does not allow")
    return body


def _check_xml_names(triples) -> None:
    for triple in triples:
        if not _XML_NAME_END.search(triple.predicate.value):
            raise _cannot_write(by_name("graph", "rdfxml"), f"the predicate <{triple.predicate.value[:200]}> does not "
                                "end in an XML name")


class _Sink:
    """Where pyoxigraph writes an answer: its chunks, their bytes bounded (AnswerTooLarge past `bound`, which
    is `max_bytes` or, for an answer written in another format than the one asked for, a multiple of it), and
    its rows counted by `_rows_in` (a subclass's), which raises when they are too many."""

    def __init__(self, max_bytes: int | None, bound: int | None = None):
        self.max_bytes, self.bound = max_bytes, bound if bound is not None else max_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        chunk = bytes(data)
        self._rows_in(chunk)
        self.size += len(chunk)
        if self.bound and self.size > self.bound:
            raise AnswerTooLarge(too_large(self.max_bytes))
        self.parts.append(chunk)
        return len(chunk)

    def _rows_in(self, chunk: bytes) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        pass

    def body(self) -> bytes:
        return b"".join(self.parts)


class _RowCap(_Sink):
    """Where pyoxigraph writes an answer as TSV (a line a row, after the header): it stops the serializer,
    by raising TooManyRows, as soon as the answer has more rows than the cap."""

    def __init__(self, cap: int, max_bytes: int | None = None, csv: bool = False):
        # CSV leaves out what TSV writes (quotes, datatypes), so it may be a few times smaller than the TSV.
        super().__init__(max_bytes, max_bytes and max_bytes * (CSV_SLACK if csv else 1))
        self.cap, self.lines = cap, 0

    def _rows_in(self, chunk: bytes) -> None:
        self.lines += chunk.count(b"\n")
        if self.lines > self.cap + 1:
            raise TooManyRows(_too_many(self.cap, "rows"))

    @property
    def rows(self) -> int:
        return max(0, self.lines - 1)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _rows_at_least(written: bytes) -> int:
    """How many rows the start of a JSON answer holds at least: the `},{` between rows outside its strings (those
    it has whole; what follows a string not yet closed is not counted).

    >>> _rows_at_least(b'{"head":{"vars":["v"]},"results":{"bindings":[{"v":{"type":"literal","value":"},{"}},{"v":{')
    2
    """
    outside = _JSON_STRING.sub(b"S", written)
    opened = outside.find(b'"')
    return (outside if opened < 0 else outside[:opened]).count(b"},{") + 1


class _MayPassTheCap(Exception):
    """A JSON answer whose rows may be more than the cap: it is counted exactly instead."""


class _JsonRows(_Sink):
    """Where pyoxigraph writes a SELECT answer as SPARQL JSON, which it writes without white space. The rows are
    bounded from above by the `},{` between two rows (no other part of the document has one outside a string; a
    string may, which only raises the bound). Past the cap it stops the serializer, and the answer is counted
    exactly as TSV (`_RowCap`) instead, unless what was written already has more rows than the cap. Writing
    TSV and converting it to JSON for every answer cost more (bench/README.md)."""

    def __init__(self, cap: int, max_bytes: int | None = None):
        super().__init__(max_bytes)
        self.cap, self.between, self.tail = cap, 0, b""

    def _rows_in(self, chunk: bytes) -> None:
        self.between += (self.tail[-2:] + chunk).count(b"},{")  # one may span two writes
        self.tail = (self.tail + chunk)[-4:]
        if self.between + 1 > self.cap:
            if _rows_at_least(b"".join(self.parts) + chunk) > self.cap:
                raise TooManyRows(_too_many(self.cap, "rows"))
            raise _MayPassTheCap()  # strings held `},{`: counted again, exactly

    @property
    def rows(self) -> int:
        """The rows, at most (exactly, unless a string holds `},{`)."""
        return 0 if self.tail == b"[]}}" else self.between + 1


_UNKNOWN_FUNCTION = re.compile(r"The custom function (<[^>]*>) is not supported")


def _cannot_run(engine_message: str) -> str:
    """What to tell a client whose query the engine refused to run."""
    unknown = _UNKNOWN_FUNCTION.search(engine_message)
    if unknown:
        return (f"The query calls {unknown.group(1)}, which is not a function of this endpoint: it has SPARQL 1.1's "
                "functions and casts (xsd:integer(...), ...), and no extension functions.")
    return f"The query could not be run: {engine_message}"


CSV_SLACK = 4
NOT_LISTED = "No item of this list has the id given as `after`: give the id of the last item of the page before."


def too_large(cap: int) -> str:
    return (f"The answer is larger than {cap} bytes, this endpoint's limit; it is not cut short silently. "
            "Add a LIMIT (and OFFSET to page through it), select fewer or shorter values, or narrow the query.")


def _too_many(cap: int, what: str) -> str:
    return (f"The answer has more than {cap} {what}, this endpoint's limit; it is not cut short silently. "
            "Add a LIMIT (and OFFSET to page through it) or narrow the query.")


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def results_json(variables: list[str], rows: list[ox.QuerySolution]) -> bytes:
    """SPARQL 1.1 Query Results JSON for rows already taken from an answer (pyoxigraph serializes only
    a whole answer, and the row cap must be checked before anything is sent)."""
    bindings = [{name: _json_term(row[name]) for name in variables if row[name] is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
