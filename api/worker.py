"""A query worker process: its entry point (`worker_main`), the limits it puts on itself, and its loop of
one `QueryJob` in, one reply out.

The server starts workers with the `spawn` method (`api.pool`), so a worker imports only this module and
what it needs to answer (`api.engine`), never the server's event loop or routes.
"""

import contextlib
import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import sys
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

from kg.vocab import PREFIXES

from .engine import Engine, too_large
from .errors import QueryError
from .jobs import CHUNK_BYTES, JobFailed, QueryAnswer, WorkerReady
from .settings import Settings

log = logging.getLogger("ctkg.api.worker")

# rdflib's parser recurses many frames per nested bracket; the worker's screen caps the nesting before it parses.
RECURSION_LIMIT = 20_000
PR_SET_PDEATHSIG = 1
# How often an idle worker looks for a newly published build, to let go of the old one (`Engine.keep_up`): the
# pool gives jobs to the worker idle the shortest time, so under light load another may wait for hours.
IDLE_CHECK_S = 5.0
M_ARENA_MAX = -8


def _limit_resources(memory_mb: int) -> None:
    # glibc reserves a 64 MB arena per thread; RocksDB's threads would spend the address-space cap on
    # reservations. Two arenas keep the cap close to what the worker really uses. (Under jemalloc, `ctkg serve`'s
    # allocator when installed, this sets an allocator nobody uses; jemalloc's own arenas reserve little.)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker killed by its cap leaves no core file


def _die_with_the_server() -> None:
    """Have the kernel SIGKILL this worker when the server dies, however it dies (Linux): a worker whose
    server was killed mid-query would otherwise run that query on, with nobody to stop it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # the server died before prctl took effect
        os._exit(1)


def worker_main(conn: Connection, store_dir: str, memory_mb: int, max_rows: int, endpoint: str = "",
                timeout_s: float = 10.0, max_answer_bytes: int | None = None,
                max_nesting: int = Settings.model_fields["max_query_nesting"].default) -> None:
    """The worker process: answer jobs until the server closes the pipe or sends None."""
    _die_with_the_server()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server decides
    sys.setrecursionlimit(RECURSION_LIMIT)
    _limit_resources(memory_mb)
    # Imported here, in the worker only: the import builds rdflib's SPARQL grammar, which the server never needs.
    from rdflib.plugins.sparql.parser import parseQuery

    parseQuery("ASK {}")  # so that the first query does not pay for the grammar
    engine = Engine(Path(store_dir), max_rows, PREFIXES, endpoint, timeout_s, max_answer_bytes, max_nesting)
    if not endpoint:
        with contextlib.suppress(QueryError):
            engine.store()  # open it now, so the first query is fast; a missing graph is reported per job
    conn.send(WorkerReady(os.getpid()))
    while True:
        try:
            while not conn.poll(IDLE_CHECK_S):  # idle: the pool may leave this worker idle a long while
                if not endpoint:
                    engine.keep_up()
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply = engine.answer(job)
        except QueryError as exc:
            reply = JobFailed(type(exc).__name__, exc.message)
        except MemoryError:
            reply = JobFailed("WorkerDied", f"The query needed more memory than a worker may use ({memory_mb} MB) "
                                            "and was stopped. Narrow the query.")
        except RecursionError:
            reply = JobFailed("QueryTooDeep", "The query nests too deeply to be run.")
        except Exception as exc:  # the server must get an answer, whatever the engine raised
            log.exception("query failed")
            reply = JobFailed("EngineError", f"The query failed in the engine ({exc.__class__.__name__}).")
        if isinstance(reply, QueryAnswer) and max_answer_bytes is not None and len(reply.body) > max_answer_bytes:
            reply = JobFailed("AnswerTooLarge", too_large(max_answer_bytes))
        try:
            send(conn, reply)
        except (EOFError, OSError):
            return


def send(conn: Connection, reply) -> None:
    """A reply to the server. An answer of up to `CHUNK_BYTES` comes whole, at once; a larger one's body only if
    the server says it has room for it, in chunks."""
    if not isinstance(reply, QueryAnswer):
        conn.send(reply)
        return
    if len(reply.body) <= CHUNK_BYTES:
        conn.send(replace(reply, size=len(reply.body)))
        return
    body = memoryview(reply.body)
    conn.send(replace(reply, body=b"", size=len(body)))
    if conn.recv():  # True: send it; False: the server answered 503 instead
        for start in range(0, len(body), CHUNK_BYTES):
            conn.send_bytes(body[start:start + CHUNK_BYTES])
