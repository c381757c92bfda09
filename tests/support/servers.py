"""The real servers on 127.0.0.1, each started, waited for by polling, and stopped with every process it
started: `ctkg serve` (uvicorn and its query workers) and the Oxigraph server (`oxigraph serve`).

    with CtkgServer(store_dir, query_workers=2) as api, OxigraphServer(location, read_only=True) as oxigraph:
        httpx.get(api.base + "/health"), httpx.get(oxigraph.query_url, params={"query": "ASK {}"})

Settings of `ctkg serve` are passed as they are named in the API's settings and reach it as `CTKG_<NAME>`.
"""

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from .polling import wait_until
from .processes import children, descendants, is_dead, process_group

ROOT = Path(__file__).resolve().parents[2]


class ServerError(RuntimeError):
    """A server that did not start, or died; the message ends with the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server process in a session of its own, its output in `log` (a file, never a pipe: a pipe nobody
    reads fills up and blocks the server), stopped with every process of its session."""

    def __init__(self, argv: list[str], log: Path | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None, fd_limit: int | None = None):
        self.argv = argv
        self.log = log
        self._output = log.open("w+b") if log else tempfile.TemporaryFile()
        # `fd_limit`: the server may open at most this many files and sockets (RLIMIT_NOFILE, soft and hard).
        limit = None if fd_limit is None else (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit)))
        self.process = subprocess.Popen(argv, stdout=self._output, stderr=subprocess.STDOUT, cwd=cwd,
                                        env={**os.environ, **(env or {})}, start_new_session=True, preexec_fn=limit)
        self.pid = self.process.pid

    def log_tail(self, size: int | None = 3000) -> str:
        """The last `size` bytes of the log as text; None: the whole log."""
        self._output.flush()
        self._output.seek(0, os.SEEK_END)
        self._output.seek(0 if size is None else max(0, self._output.tell() - size))
        return self._output.read().decode("utf-8", "replace")

    def died(self) -> dict | None:
        """The exit code and the end of the log if the server has exited, else None."""
        if self.process.poll() is None:
            return None
        return {"exit_code": self.process.returncode, "log": self.log_tail(500)}

    def fail(self, what: str) -> ServerError:
        return ServerError(f"{what}: {' '.join(self.argv)}\n{self.log_tail()}")

    def alive(self) -> None:
        """Raise ServerError if the server has exited."""
        if self.process.poll() is not None:
            raise self.fail(f"the server exited with code {self.process.returncode}")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL after `timeout`; then SIGKILL whatever the server left running (its workers)."""
        left = descendants(self.pid)[1:] if self.process.poll() is None else []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for pid in left:
            if not is_dead(pid) and process_group(pid) == self.pid:  # still of this server's session
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        wait_until(lambda: all(is_dead(pid) for pid in left), timeout=10, what="the server's processes ending")
        self._output.close()

    def __enter__(self):
        return self

    def __exit__(self, *_) -> None:
        self.stop()


class CtkgServer(ServerProcess):
    """`ctkg serve` on 127.0.0.1 serving `store_dir`, ready (every query worker idle) when constructed."""

    def __init__(self, store_dir: Path, log: Path | None = None, ready_timeout: float = 30,
                 fd_limit: int | None = None, **settings):
        self.store_dir = store_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.query_url = self.base + "/sparql"
        self.workers_wanted = int(settings.get("query_workers", os.environ.get("CTKG_QUERY_WORKERS", 2)))
        env = {"PYTHONPATH": str(ROOT), "CTKG_STORE_DIR": str(store_dir),
               **{f"CTKG_{name.upper()}": str(value) for name, value in settings.items()}}
        super().__init__(self.command(), log, env, cwd=ROOT, fd_limit=fd_limit)
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def command(self) -> list[str]:
        """What starts the server: `ctkg serve`, on this object's port (a benchmark may start a variant)."""
        return [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]

    def health(self) -> dict | None:
        """The answer of /health, or None while the server does not answer."""
        try:
            return httpx.get(f"{self.base}/health", timeout=2).json()
        except (httpx.TransportError, ValueError):
            return None

    def wait_ready(self, timeout: float = 30) -> dict:
        """Wait until every query worker is up and idle; returns the health report."""
        def ready() -> dict | None:
            self.alive()
            health = self.health()
            return health if health and health.get("workers_idle", 0) >= self.workers_wanted else None

        try:
            return wait_until(ready, timeout, interval=0.05, what="every query worker idle")
        except TimeoutError as exc:
            raise self.fail(str(exc)) from None

    def workers(self) -> list[int]:
        """The live query workers' pids (the server's other child is multiprocessing's resource tracker)."""
        found = []
        for pid in children(self.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and not is_dead(pid):
                    found.append(pid)
            except OSError:
                pass
        return found


class OxigraphServer(ServerProcess):
    """The Oxigraph server (PyPI `oxigraph`) on 127.0.0.1 over the database at `location`: read-write
    (`serve`) or read-only (`serve-read-only`, which may have its own query time limit), answering when
    constructed."""

    def __init__(self, location: Path, read_only: bool, timeout_s: int | None = None, log: Path | None = None,
                 ready_timeout: float = 30):
        binary = shutil.which("oxigraph")
        if binary is None:
            raise ServerError("the Oxigraph server is not installed: pip install -e '.[test]' (PyPI oxigraph)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__([binary, "serve-read-only" if read_only else "serve", "--location", str(location),
                          "--bind", f"127.0.0.1:{self.port}", *(["--timeout-s", str(timeout_s)] if timeout_s else [])],
                         log)
        try:
            wait_until(self._answers, ready_timeout, interval=0.05, what="the Oxigraph server answering")
        except TimeoutError as exc:
            self.stop()
            raise self.fail(str(exc)) from None
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        self.alive()
        try:
            httpx.get(self.base + "/", timeout=2)
        except httpx.TransportError:
            return False
        return True

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def store_url(self) -> str:
        return self.base + "/store"
