"""The server's side of query execution: the pool of worker processes (`api.worker`), which hands each
job to an idle worker, awaits its answer against the query's deadline, and replaces a worker it had to kill
or that died.

Neither pyoxigraph nor rdflib can stop a running query, and a query on a thread keeps burning CPU after
its client has gone. So every query, the REST lookups' included, goes to one of a small pool of
processes (`settings.query_workers`, started with the `spawn` method). Each worker opens the current
build read-only, opens it again when `ctkg build` has published a new one (at its next query, or within
`api.worker.IDLE_CHECK_S` while idle, so that no worker holds a pruned build), caps its address space at
`settings.worker_memory_mb`, and answers one `QueryJob` at a time with a `QueryAnswer` or a `JobFailed`,
raised again here as its `api.errors` type.

A small answer (up to `api.jobs.CHUNK_BYTES`) comes in one message, and the server takes its size of the
answer budget (`api.answers`) or answers 503. A larger one comes in two steps: the worker first says how large
it is; the server takes that many bytes of the budget, or tells the worker to drop it and answers 503; then
the body crosses the pipe in chunks and the worker is free again.

The server awaits each answer against the query's deadline (`settings.query_timeout_s`, counted from
the request, queueing included). At the deadline it SIGKILLs the worker, answers 503 at once, and
starts a replacement in the background; a request cancelled while its query runs (its client went
away, see `api.guards`, or the server shuts down) kills the worker the same way, since its answer would
otherwise reach the next job. A worker that dies while idle is noticed at once (its pipe closes) and
replaced. Starting a replacement is retried, with a growing pause, until the pool is whole again: it fails
while the process has no file descriptor to spare. Meanwhile the event loop and the other workers keep
serving. A worker also dies with the server, however the server dies.
"""

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import time

from .answers import AnswerBudget, HeldAnswer
from .errors import AnswersBusy, EngineError, QueryTimeout, WorkerDied, WorkersBusy, rebuild
from .jobs import CHUNK_BYTES, JobFailed, QueryAnswer, QueryJob, WorkerReady
from .settings import Settings
from .worker import worker_main

log = logging.getLogger("ctkg.api.pool")

START_TIMEOUT_S = 60.0  # a worker imports rdflib and pyoxigraph and opens the store before it is ready
RESPAWN_DELAY_S = 0.1  # the first pause before starting a worker again, doubled after each failure ...
RESPAWN_DELAY_MAX_S = 2.0  # ... up to this
CLOSE_GRACE_S = 2.0  # how long idle workers have to exit by themselves when the pool closes


class WorkerProcess:
    """One worker process and the server's end of its pipe.

    The pipe is watched by the event loop for the worker's whole life (`listen`), and what arrives is cut into
    the messages `multiprocessing.Connection` frames (a 4-byte length, or -1 and an 8-byte one, then the bytes)
    as it comes: an answer is read without blocking, and without registering the pipe with the loop again for
    each job (four system calls a job)."""

    def __init__(self, context, settings: Settings):
        self.conn, child_end = context.Pipe(duplex=True)
        try:
            self.process = context.Process(
                target=worker_main, name="ctkg-query-worker", daemon=True,
                args=(child_end, str(settings.store_dir), settings.worker_memory_mb, settings.max_rows,
                      settings.sparql_endpoint, settings.query_timeout_s, settings.max_answer_bytes,
                      settings.max_query_nesting))
            self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child_end.close()  # so that the server sees end-of-file when the worker dies
        self.pending: asyncio.Future | None = None  # a reply awaited from this worker, while one is
        self.ready = False  # it said it has started
        self.idle = False  # it waits for a job, in the pool's queue
        self.dead = False
        self._fd = self.conn.fileno()
        self._buffer = bytearray()  # bytes read that do not make a whole message yet
        self._messages: collections.deque[bytes] = collections.deque()  # whole messages, not yet taken
        self._ended: BaseException | None = None  # EOFError (the worker has gone) or the error reading the pipe
        self._listening = False
        self._on_idle_message = None  # `watch`'s callback

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def listen(self) -> None:
        """Have the event loop read the pipe from now on, until the worker has gone."""
        if not self._listening:
            asyncio.get_running_loop().add_reader(self._fd, self._readable)
            self._listening = True

    def _stop_listening(self) -> None:
        if self._listening:
            self._listening = False
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                asyncio.get_running_loop().remove_reader(self._fd)

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, READ_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            data, self._ended = b"", exc
        if not data:
            self._ended = self._ended or EOFError()
            self._stop_listening()
        else:
            self._buffer += data
            self._cut_messages()
        if not self._messages and self._ended is None:
            return  # a part of a message: the rest is still to come
        if self.pending is not None and not self.pending.done():
            self.pending.set_result(None)
        elif self._on_idle_message is not None:
            self._on_idle_message(self)

    def _cut_messages(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 4:
            (size,) = _LENGTH.unpack_from(buffer)
            start = 4
            if size == -1:
                if len(buffer) < 12:
                    return
                (size,) = _LONG_LENGTH.unpack_from(buffer, 4)
                start = 12
            if len(buffer) < start + size:
                return
            self._messages.append(bytes(buffer[start:start + size]))
            del buffer[:start + size]

    async def _next(self, timeout: float) -> bytes | BaseException:
        """The next message from the worker, or the exception if it has gone; TimeoutError at `timeout`."""
        if not self._messages and self._ended is None:
            self.pending = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self.pending  # set once a whole message, or the end, has come
            finally:  # answered, timed out or cancelled
                self.pending = None
        return self._messages.popleft() if self._messages else self._ended

    async def exchange(self, job: QueryJob | bool | None, timeout: float):
        """Send a job (or nothing) and await the reply. Returns the exception, not the reply, when the worker has
        gone; raises TimeoutError at `timeout`."""
        try:
            if job is not None:
                self.conn.send(job)  # small (the query's size is capped) and the worker is waiting for it
        except OSError as exc:
            return exc
        self.listen()
        message = await self._next(timeout)
        return message if isinstance(message, BaseException) else pickle.loads(message)

    async def receive_body(self, size: int, timeout: float) -> list[bytes] | BaseException:
        """The `size` bytes of an answer's body, in the chunks the worker sends; the exception if it has gone."""
        chunks: list[bytes] = []
        received = 0
        async with asyncio.timeout(timeout):
            while received < size:
                chunk = await self._next(timeout)
                if isinstance(chunk, BaseException):
                    return chunk
                chunks.append(chunk)
                received += len(chunk)
        return chunks

    @property
    def quiet(self) -> bool:
        """Nothing has come from the pipe since the last reply was taken: no message, no end."""
        return not self._messages and self._ended is None

    def watch(self, died) -> None:
        """While idle: call `died(self)` if anything comes from the pipe, which can only be the worker's end."""
        self._on_idle_message = died
        if self._messages or self._ended is not None:
            asyncio.get_running_loop().call_soon(died, self)

    def unwatch(self) -> None:
        self._on_idle_message = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(self.process.pid, signal.SIGKILL)

    async def retire(self) -> None:
        """Kill the process, reap it, and close the pipe."""
        self.kill()
        self._on_idle_message = None
        self._stop_listening()
        with contextlib.suppress(RuntimeError, OSError):  # no thread to spare: the process is reaped later
            await asyncio.to_thread(self.process.join, 5)
        self.conn.close()


READ_BYTES = 256 * 1024  # what one read of a worker's pipe takes at most
_LENGTH, _LONG_LENGTH = struct.Struct("!i"), struct.Struct("!Q")  # multiprocessing.Connection's message header


class WorkerPool:
    """The server's handle on the workers: `run(job)` answers a job or raises an `api.errors` type."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._size = settings.query_workers
        self._idle: asyncio.LifoQueue[WorkerProcess] | None = None
        self._workers: set[WorkerProcess] = set()
        self._background: set[asyncio.Task] = set()
        self._closing = False
        self.budget = AnswerBudget(settings.answer_budget_bytes)

    @property
    def wanted(self) -> int:
        """How many workers the pool keeps."""
        return self._size

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids (for health reports and tests)."""
        return [w.pid for w in self._workers if w.pid is not None and not w.dead]

    @property
    def ready(self) -> int:
        """How many workers have started and can take a job (idle, or answering one)."""
        return sum(1 for w in self._workers if w.ready and not w.dead)

    @property
    def idle(self) -> int:
        """How many workers are ready and waiting for a job."""
        return sum(1 for w in self._workers if w.idle and not w.dead)

    async def start(self) -> None:
        """Start the workers and wait (a bounded time) until they are ready."""
        # The worker idle the shortest time takes the next job: its caches, and the core it ran on, are still
        # warm. One client's small questions came back 0.1-0.25 ms sooner than from the worker idle longest.
        # Under light load the others may then wait for hours: each lets go of an old build by itself
        # (`api.worker.IDLE_CHECK_S`), and one that died while idle stays here until taken, and is skipped.
        self._idle = asyncio.LifoQueue()
        starting = [self._in_background(self._start_one()) for _ in range(self._size)]
        await asyncio.wait(starting, timeout=START_TIMEOUT_S)
        if self.idle < self._size:
            log.error("only %d of %d query workers are ready", self.idle, self._size)

    def _in_background(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a task of the worker pool failed", exc_info=task.exception())

    async def _start_one(self) -> None:
        """Start a worker and make it available once it is ready; retried, with a growing pause, while the
        pool is open (starting one fails, for instance, while the process has no file descriptor to spare)."""
        delay, failures = RESPAWN_DELAY_S, 0
        while not self._closing:
            try:
                worker = WorkerProcess(self._context, self.settings)
            except OSError as exc:
                failures += 1
                if failures == 1 or failures % 30 == 0:  # one line, not one per attempt
                    log.error("cannot start a query worker (%s); retrying until it starts (%d attempts so far)",
                              exc.strerror or exc, failures)
                await asyncio.sleep(delay)
                delay = min(2 * delay, RESPAWN_DELAY_MAX_S)
                continue
            self._workers.add(worker)
            try:
                reply = await worker.exchange(None, START_TIMEOUT_S)
            except TimeoutError:
                reply = None
            if isinstance(reply, WorkerReady):
                if self._closing:
                    break
                if failures:
                    log.warning("a query worker started after %d failed attempts", failures)
                worker.ready = True
                self._make_idle(worker)
                return
            failures += 1
            log.error("a query worker did not start (exit code %s); is CTKG_WORKER_MEMORY_MB too small?",
                      worker.process.exitcode)
            self._workers.discard(worker)
            await worker.retire()
            await asyncio.sleep(delay)
            delay = min(2 * delay, RESPAWN_DELAY_MAX_S)

    def _make_idle(self, worker: WorkerProcess) -> None:
        worker.idle = True
        worker.watch(self._died_idle)
        self._idle.put_nowait(worker)

    def _died_idle(self, worker: WorkerProcess) -> None:
        """An idle worker's pipe became readable: it has died (or broke the protocol); replace it."""
        worker.unwatch()
        if not worker.dead and worker.idle:
            log.warning("query worker %s died while idle; starting another", worker.pid)
            self._replace(worker)

    def _replace(self, worker: WorkerProcess) -> None:
        """Kill a worker now; reap it and start its replacement in the background."""
        worker.kill()
        worker.dead, worker.idle = True, False
        self._workers.discard(worker)
        self._in_background(self._retire_and_replace(worker))

    async def _retire_and_replace(self, worker: WorkerProcess) -> None:
        await worker.retire()
        await self._start_one()

    async def _take_idle(self, limit: float) -> WorkerProcess:
        try:
            async with asyncio.timeout(limit):
                while True:
                    worker = await self._idle.get()
                    # One that died while queued was replaced already, or is about to be (`watch` reports an end
                    # it finds in the next turn of the loop): either way, not this job's worker.
                    if not worker.dead and worker.quiet:
                        worker.unwatch()
                        worker.idle = False
                        return worker
        except TimeoutError:
            raise WorkersBusy(f"Every query worker stayed busy for {limit:g} s; try again later.") from None

    async def run(self, job: QueryJob, timeout: float | None = None) -> QueryAnswer:
        """Answer a job whole (for the API's own queries, whose answers are parsed here); see `fetch`."""
        held = await self.fetch(job, timeout)
        return QueryAnswer(held.body(), held.head.media_type, held.head.form, held.head.count, held.head.total,
                           held.head.build, held.head.size)

    async def fetch(self, job: QueryJob, timeout: float | None = None) -> HeldAnswer:
        """Answer a job within `timeout` seconds (default: the query time limit), waiting for a worker
        included; the answer holds its share of the answer budget until it is sent or dropped. Raises
        QueryTimeout, WorkersBusy, AnswersBusy, WorkerDied or the error the worker reported."""
        if self._idle is None:
            raise WorkersBusy("The query workers are not running.")
        limit = timeout if timeout is not None else self.settings.query_timeout_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        worker = await self._take_idle(limit)
        healthy, held = False, None
        try:
            reply = await worker.exchange(job, max(0.0, deadline - loop.time()))
            if isinstance(reply, QueryAnswer) and reply.size <= CHUNK_BYTES:  # it came whole: the worker is free
                reservation = self.budget.reserve(reply.size)
                if reservation is None:
                    healthy = True
                    raise AnswersBusy("The server holds as many answers as it may for clients still reading "
                                      "them; try again shortly.")
                held = HeldAnswer(reply, [reply.body] if reply.body else [], reservation)
            elif isinstance(reply, QueryAnswer):
                reservation = self.budget.reserve(reply.size)
                try:
                    worker.conn.send(reservation is not None)  # the worker waits to hear whether to send it
                except OSError as exc:
                    reply = exc
                if reservation is None:
                    healthy = not isinstance(reply, BaseException)
                    raise AnswersBusy("The server holds as many answers as it may for clients still reading "
                                      "them; try again shortly.")
                if not isinstance(reply, BaseException):
                    body = await worker.receive_body(reply.size, max(0.0, deadline - loop.time()))
                    if isinstance(body, BaseException):
                        reservation.release()
                        reply = body
                    else:
                        held = HeldAnswer(reply, body, reservation)
                else:
                    reservation.release()
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
                self._make_idle(worker)
            else:  # timed out, died, or the request was cancelled while it ran: its state is unknown
                self._replace(worker)
        if held is not None:
            return held
        if isinstance(reply, JobFailed):
            raise rebuild(reply.error, reply.message)
        raise EngineError("The query worker gave an answer the server does not understand.")

    async def close(self) -> None:
        self._closing = True
        for task in list(self._background):
            task.cancel()
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.unwatch()
            if worker.pending is None:  # idle: let it exit by itself
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            else:
                worker.kill()
        deadline = time.monotonic() + CLOSE_GRACE_S
        for worker in workers:
            await asyncio.to_thread(worker.process.join, max(0.0, deadline - time.monotonic()))
            await worker.retire()
