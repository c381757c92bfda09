"""Query execution in worker processes that can be killed: the only place the API runs SPARQL.

Neither pyoxigraph nor rdflib can stop a running query, and a query on a thread keeps burning CPU after
its client has gone. So every query, the REST lookups' included, goes to one of a small pool of
processes (`settings.query_workers`, started with the `spawn` method). Each worker opens the current
build read-only, opens it again when `ctkg build` has published a new one, caps its address space at
`settings.worker_memory_mb`, and answers one `QueryJob` at a time with a `QueryAnswer` (the serialized
answer) or an error (a type name and a message, raised again here as `api.errors`).

The server awaits each answer against the query's deadline (`settings.query_timeout_s`, counted from
the request, queueing included). At the deadline it SIGKILLs the worker, answers 503 at once, and
starts a replacement in the background; a request cancelled while its query runs (its client went
away, see `api.guards`, or the server shuts down) kills the worker the same way, since its answer would
otherwise reach the next job. Meanwhile the event loop and the other workers keep serving. A worker
also dies with the server, however the server dies.
"""

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.settings import Settings
from kg.sparql_text import bind_values
from kg.store import StoreLayout, open_read_only

from .formats import Format, by_name
from .remote import RemoteGraph
from .errors import (
    EngineError,
    GraphRefused,
    NotAcceptable,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    TooManyRows,
    WorkerDied,
    WorkersBusy,
    rebuild,
)

log = logging.getLogger("ctkg.api.workers")

Term = ox.NamedNode | ox.Literal
START_TIMEOUT_S = 60.0  # a worker imports rdflib and pyoxigraph and opens the store before it is ready
RESPAWN_DELAY_S = 1.0  # between attempts when a worker dies as it starts (e.g. a memory cap too small)
RECURSION_LIMIT = 20_000  # rdflib's parser recurses ~30 frames per nested bracket; depth is capped before


@dataclass(frozen=True)
class Page:
    """A window on an answer's items: `limit` items after skipping `offset`, an item being a run of
    consecutive rows with the same value of `key` (the query orders by it). The total is counted."""

    offset: int
    limit: int
    key: str


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
    count: int  # rows, or triples, in the body
    total: int | None = None  # with a Page: the number of items in the whole answer
    build: str | None = None  # the directory of the build that answered (one build per answer, never a mix)


# --------------------------------------------------------------------------------------------------
# The worker process


class Engine:
    """A worker's side: the store it has open, and how it answers a job. Runs in the worker process
    (and in tests, directly)."""

    def __init__(self, store_dir: Path, max_rows: int, prefixes: Mapping[str, str], endpoint: str = "",
                 timeout_s: float = 10.0):
        self.store_dir = Path(store_dir)
        self.max_rows = max_rows
        self.prefixes = dict(prefixes)
        # With an endpoint, the graph is on a remote SPARQL server (`ctkg push` loaded it) and the store is unused.
        self.remote = RemoteGraph(endpoint, self.prefixes, timeout_s) if endpoint else None
        # `id:` is left out of serialized graphs: `id:product\/x` is valid Turtle but a full IRI reads better.
        self._serialization_prefixes = {p: ns for p, ns in self.prefixes.items() if p != "id"}
        self._store: ox.Store | None = None
        self._build: Path | None = None

    def store(self) -> ox.Store:
        """The current build, opened again if `ctkg build` has published a new one since."""
        try:
            current = StoreLayout(self.store_dir).current_build()
            if self._store is None or current != self._build:
                self._store, self._build = None, None
                self._store, self._build = open_read_only(self.store_dir)
        except StoreError as exc:
            log.warning("the graph is not available: %s", exc)  # with its path: for the operator, not the client
            raise StoreUnavailable() from None
        return self._store

    def answer(self, job: QueryJob) -> QueryAnswer:
        from .screen import explain_syntax_error, inspect

        shape = None if job.trusted else inspect(job.sparql, self.prefixes)
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
                form = shape.form if shape else ("SELECT" if "solutions" in job.formats else "CONSTRUCT")
                with self.remote.query(text, form, job.default_graphs or (), job.named_graphs or ()) as result:
                    return self._serialize(result, job, shape.form if shape else None)
            options: dict = {"prefixes": self.prefixes}
            if job.protocol_dataset:
                options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
                options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
            store = self.store()
            result = store.query(text, **options)
            answer = self._serialize(result, job, shape.form if shape else None)
            return replace(answer, build=str(self._build))
        except (SyntaxError, QuerySyntaxError) as exc:  # the store's parser, or the remote server's 400
            message = exc.message if isinstance(exc, QuerySyntaxError) else str(exc)
            if job.trusted:
                raise EngineError(f"The API's own query could not be read: {message}") from None
            raise explain_syntax_error(job.sparql, self.prefixes, message) from None
        except (ValueError, RuntimeError) as exc:  # e.g. bindings for a query without a WHERE keyword
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

    def _serialize(self, result, job: QueryJob, form: str | None) -> QueryAnswer:
        if isinstance(result, ox.QueryBoolean):
            fmt = self._format(job, "solutions")
            return QueryAnswer(result.serialize(format=fmt.syntax), fmt.media_type, "ASK", 1)
        if isinstance(result, ox.QuerySolutions):
            fmt = self._format(job, "solutions")
            if job.page is None:  # the whole answer, serialized by pyoxigraph (Python took 25-37 µs a row)
                sink = _RowCap(self.max_rows)
                result.serialize(sink, format=ox.QueryResultsFormat.TSV)
                body = sink.body()
                if fmt.syntax != ox.QueryResultsFormat.TSV:
                    body = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.syntax)
                return QueryAnswer(body, fmt.media_type, "SELECT", sink.rows)
            variables = [v.value for v in result.variables]
            rows, total = self._take(result, job.page)
            body = results_json(variables, rows)
            if fmt.syntax != ox.QueryResultsFormat.JSON:
                body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=fmt.syntax)
            return QueryAnswer(body, fmt.media_type, "SELECT", len(rows), total)
        fmt = self._format(job, "graph")
        # A graph is a set, but DESCRIBE on the union default graph repeats a triple once per source.
        triples: dict[ox.Triple, None] = {}
        for triple in result:
            triples[triple] = None
            if len(triples) > self.max_rows:
                raise TooManyRows(_too_many(self.max_rows, "triples"))
        body = ox.serialize(triples, format=fmt.syntax, prefixes=self._serialization_prefixes)
        return QueryAnswer(body, fmt.media_type, form or "graph", len(triples))

    @staticmethod
    def _format(job: QueryJob, kind: str) -> Format:
        if kind not in job.formats:
            raise NotAcceptable("The answer cannot be given in the format asked for.")
        return by_name(kind, job.formats[kind])

    def _take(self, solutions: ox.QuerySolutions, page: Page) -> tuple[list[ox.QuerySolution], int]:
        """One page of rows, and the total item count."""
        rows, item, previous = [], -1, object()
        for solution in solutions:
            key = solution[page.key]
            if key != previous:
                item, previous = item + 1, key
            if page.offset <= item < page.offset + page.limit:
                rows.append(solution)
                if len(rows) > self.max_rows:
                    raise TooManyRows(_too_many(self.max_rows, "rows"))
        return rows, item + 1


class _RowCap:
    """Where pyoxigraph writes an answer as TSV (a line a row, after the header): it stops the serializer,
    by raising TooManyRows, as soon as the answer has more rows than the cap."""

    def __init__(self, cap: int):
        self.cap, self.lines, self.parts = cap, 0, []

    def write(self, data) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        if self.lines > self.cap + 1:
            raise TooManyRows(_too_many(self.cap, "rows"))
        self.parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    @property
    def rows(self) -> int:
        return max(0, self.lines - 1)

    def body(self) -> bytes:
        return b"".join(self.parts)


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
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
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
    bindings = []
    for row in rows:
        bindings.append({name: _json_term(row[name]) for name in variables if row[name] is not None})
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _limit_resources(memory_mb: int) -> None:
    import ctypes
    import resource

    # glibc reserves a 64 MB arena per thread; RocksDB's threads would spend the address-space cap on
    # reservations. Two arenas keep the cap close to what the worker really uses.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker killed by its cap leaves no core file


def _die_with_the_server() -> None:
    """Have the kernel SIGKILL this worker when the server dies, however it dies (Linux): a worker whose
    server was killed mid-query would otherwise run that query on, with nobody to stop it."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # the server died before prctl took effect
        os._exit(1)


def worker_main(conn: Connection, store_dir: str, memory_mb: int, max_rows: int, endpoint: str = "",
                timeout_s: float = 10.0) -> None:
    """The worker process: answer jobs until the server closes the pipe or sends None."""
    import sys

    _die_with_the_server()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server decides
    sys.setrecursionlimit(RECURSION_LIMIT)
    _limit_resources(memory_mb)
    from rdflib.plugins.sparql.parser import parseQuery  # build the grammar now, not on the first query

    from kg.vocab import PREFIXES

    parseQuery("ASK {}")
    engine = Engine(Path(store_dir), max_rows, PREFIXES, endpoint, timeout_s)
    if not endpoint:
        with contextlib.suppress(QueryError):
            engine.store()  # open it now, so the first query is fast; a missing graph is reported per job
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply = engine.answer(job)
        except QueryError as exc:
            reply = ("error", type(exc).__name__, exc.message)
        except MemoryError:
            reply = ("error", "WorkerDied", f"The query needed more memory than a worker may use ({memory_mb} MB) "
                                            "and was stopped. Narrow the query.")
        except RecursionError:
            reply = ("error", "QueryTooDeep", "The query nests too deeply to be run.")
        except Exception as exc:  # noqa: BLE001 - the server must get an answer, whatever the engine raised
            log.exception("query failed")
            reply = ("error", "EngineError", f"The query failed in the engine ({exc.__class__.__name__}).")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


# --------------------------------------------------------------------------------------------------
# The server's side


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, context, settings: Settings):
        self.conn, child_end = context.Pipe(duplex=True)
        self.process = context.Process(
            target=worker_main, name="ctkg-query-worker", daemon=True,
            args=(child_end, str(settings.store_dir), settings.worker_memory_mb, settings.max_rows,
                  settings.sparql_endpoint, settings.query_timeout_s))
        self.process.start()
        child_end.close()  # so that the server sees end-of-file when the worker dies
        self.pending: asyncio.Future | None = None  # the reply awaited from this worker, while one is

    @property
    def pid(self) -> int | None:
        return self.process.pid

    async def exchange(self, job: QueryJob | None, timeout: float):
        """Send a job (or nothing) and await the reply, read by the event loop when the pipe is readable (a
        thread waiting on each pipe cost more than the query, measured). Returns the exception, not the
        reply, when the worker has gone; raises TimeoutError at `timeout`."""
        loop = asyncio.get_running_loop()
        try:
            if job is not None:
                self.conn.send(job)  # small (the query's size is capped) and the worker is waiting for it
        except OSError as exc:
            return exc
        reply, fd = loop.create_future(), self.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if not reply.done():
                try:
                    reply.set_result(self.conn.recv())
                except (EOFError, OSError) as exc:
                    reply.set_result(exc)

        loop.add_reader(fd, readable)
        self.pending = reply
        try:
            async with asyncio.timeout(timeout):
                return await reply
        finally:  # answered, timed out or cancelled: stop watching the pipe either way
            loop.remove_reader(fd)
            self.pending = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(self.process.pid, signal.SIGKILL)

    async def retire(self) -> None:
        """Kill the process, reap it, and close the pipe."""
        self.kill()
        await asyncio.to_thread(self.process.join, 5)
        self.conn.close()


class WorkerPool:
    """The server's handle on the workers: `run(job)` answers a job or raises an `api.errors` type."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._size = settings.query_workers
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._background: set[asyncio.Task] = set()
        self._closing = False

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids (for health reports and tests)."""
        return [w.pid for w in self._workers if w.pid is not None]

    @property
    def idle(self) -> int:
        """How many workers are ready and waiting for a job."""
        return self._idle.qsize() if self._idle is not None else 0

    async def start(self) -> None:
        """Start the workers and wait (a bounded time) until they are ready."""
        self._idle = asyncio.Queue()
        starting = [self._in_background(self._start_one()) for _ in range(self._size)]
        await asyncio.wait(starting, timeout=START_TIMEOUT_S)
        if self.idle < self._size:
            log.error("only %d of %d query workers are ready", self.idle, self._size)

    def _in_background(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _start_one(self) -> None:
        """Start a worker and make it available once it is ready; retried while the pool is open."""
        while not self._closing:
            worker = _Worker(self._context, self.settings)
            self._workers.add(worker)
            try:
                reply = await worker.exchange(None, START_TIMEOUT_S)
            except TimeoutError:
                reply = None
            if isinstance(reply, tuple) and reply[0] == "ready":
                if self._closing:
                    break
                self._idle.put_nowait(worker)
                return
            log.error("a query worker did not start (exit code %s); is CTKG_WORKER_MEMORY_MB too small?",
                      worker.process.exitcode)
            self._workers.discard(worker)
            await worker.retire()
            await asyncio.sleep(RESPAWN_DELAY_S)

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker now; reap it and start its replacement in the background."""
        worker.kill()
        self._workers.discard(worker)

        async def replace() -> None:
            await worker.retire()
            await self._start_one()

        self._in_background(replace())

    async def run(self, job: QueryJob, timeout: float | None = None) -> QueryAnswer:
        """Answer a job within `timeout` seconds (default: the query time limit), waiting for a worker
        included. Raises QueryTimeout, WorkersBusy, WorkerDied or the error the worker reported."""
        if self._idle is None:
            raise WorkersBusy("The query workers are not running.")
        limit = timeout if timeout is not None else self.settings.query_timeout_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        try:
            async with asyncio.timeout(limit):
                worker = await self._idle.get()
        except TimeoutError:
            raise WorkersBusy(f"Every query worker stayed busy for {limit:g} s; try again later.") from None
        healthy = False
        try:
            reply = await worker.exchange(job, max(0.0, deadline - loop.time()))
            if isinstance(reply, BaseException):
                raise WorkerDied(f"The query stopped its worker: it may have needed more than the "
                                 f"{self.settings.worker_memory_mb} MB a worker may use.")
            healthy = True
        except TimeoutError:
            log.warning("query stopped at its deadline (%g s); worker %s killed", limit, worker.pid)
            raise QueryTimeout(f"The query ran past this endpoint's time limit of {limit:g} s and was stopped. "
                               "Narrow it (more specific patterns, a LIMIT) and try again.") from None
        finally:
            if healthy:
                self._idle.put_nowait(worker)
            else:  # timed out, died, or the request was cancelled while it ran: its state is unknown
                self._replace(worker)
        if isinstance(reply, QueryAnswer):
            return reply
        if isinstance(reply, tuple) and len(reply) == 3 and reply[0] == "error":
            raise rebuild(reply[1], reply[2])
        raise EngineError("The query worker gave an answer the server does not understand.")

    async def close(self) -> None:
        self._closing = True
        for task in list(self._background):
            task.cancel()
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            if worker.pending is None:  # idle: let it exit by itself
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            else:
                worker.kill()
        deadline = time.monotonic() + 2
        for worker in workers:
            await asyncio.to_thread(worker.process.join, max(0.0, deadline - time.monotonic()))
            await worker.retire()
