"""The server's side of query execution: the pool of worker processes (`api.worker`), which hands each
job to an idle worker, awaits its answer against the query's deadline, and replaces a worker it had to kill.

Neither pyoxigraph nor rdflib can stop a running query, and a query on a thread keeps burning CPU after
its client has gone. So every query, the REST lookups' included, goes to one of a small pool of
processes (`settings.query_workers`, started with the `spawn` method). Each worker opens the current
build read-only, opens it again when `ctkg build` has published a new one, caps its address space at
`settings.worker_memory_mb`, and answers one `QueryJob` at a time with a `QueryAnswer` or a `JobFailed`,
raised again here as its `api.errors` type.

The server awaits each answer against the query's deadline (`settings.query_timeout_s`, counted from
the request, queueing included). At the deadline it SIGKILLs the worker, answers 503 at once, and
starts a replacement in the background; a request cancelled while its query runs (its client went
away, see `api.guards`, or the server shuts down) kills the worker the same way, since its answer would
otherwise reach the next job. Meanwhile the event loop and the other workers keep serving. A worker
also dies with the server, however the server dies.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time

from .errors import EngineError, QueryTimeout, WorkerDied, WorkersBusy, rebuild
from .jobs import JobFailed, QueryAnswer, QueryJob, WorkerReady
from .settings import Settings
from .worker import worker_main

log = logging.getLogger("ctkg.api.pool")

START_TIMEOUT_S = 60.0  # a worker imports rdflib and pyoxigraph and opens the store before it is ready
RESPAWN_DELAY_S = 1.0  # between attempts when a worker dies as it starts (e.g. a memory cap too small)
CLOSE_GRACE_S = 2.0  # how long idle workers have to exit by themselves when the pool closes


class WorkerProcess:
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
        """Send a job (or nothing) and await the reply, read by the event loop when the pipe is readable
        (no thread per pipe). Returns the exception, not the reply, when the worker has gone; raises
        TimeoutError at `timeout`."""
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
        self._idle: asyncio.Queue[WorkerProcess] | None = None
        self._workers: set[WorkerProcess] = set()
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
            worker = WorkerProcess(self._context, self.settings)
            self._workers.add(worker)
            try:
                reply = await worker.exchange(None, START_TIMEOUT_S)
            except TimeoutError:
                reply = None
            if isinstance(reply, WorkerReady):
                if self._closing:
                    break
                self._idle.put_nowait(worker)
                return
            log.error("a query worker did not start (exit code %s); is CTKG_WORKER_MEMORY_MB too small?",
                      worker.process.exitcode)
            self._workers.discard(worker)
            await worker.retire()
            await asyncio.sleep(RESPAWN_DELAY_S)

    def _replace(self, worker: WorkerProcess) -> None:
        """Kill a worker now; reap it and start its replacement in the background."""
        worker.kill()
        self._workers.discard(worker)
        self._in_background(self._retire_and_replace(worker))

    async def _retire_and_replace(self, worker: WorkerProcess) -> None:
        await worker.retire()
        await self._start_one()

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
        if isinstance(reply, JobFailed):
            raise rebuild(reply.error, reply.message)
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
        deadline = time.monotonic() + CLOSE_GRACE_S
        for worker in workers:
            await asyncio.to_thread(worker.process.join, max(0.0, deadline - time.monotonic()))
            await worker.retire()
