"""A whole `ctkg build`, run as analysts run it: the command line, in a process (and session) of its own."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from .servers import ROOT


def ctkg_build(data: Path, store: Path, *options: str) -> subprocess.Popen:
    """`ctkg build` of `data` into `store`, started; its output (stdout and stderr, progress lines unwrapped)
    is one pipe, and it leads a session of its own, so `kill_build` ends it with every process it started."""
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "build", "--data", str(data), "--store", str(store),
                             *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "10000"}, start_new_session=True)


def kill_build(build: subprocess.Popen) -> None:
    """SIGKILL to the build and every process it started, then reap it."""
    try:
        os.killpg(build.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    build.wait(10)


def build_whole(data: Path, store: Path, timeout: float = 120) -> str:
    """`ctkg build` of `data` into `store`, to its end; returns its output, AssertionError if it failed."""
    build = ctkg_build(data, store)
    try:
        output, _ = build.communicate(timeout=timeout)
    finally:
        kill_build(build)
    text = output.decode("utf-8", "replace")
    assert build.returncode == 0, f"ctkg build exited with {build.returncode}:\n{text[-2000:]}"
    return text


def read_until(build: subprocess.Popen, phrase: str, timeout: float = 120) -> str:
    """Read the build's output until a line says `phrase`; returns the output so far. AssertionError if the
    build ends first, or says nothing of the kind within `timeout` seconds."""
    output, deadline = b"", time.monotonic() + timeout
    while phrase.encode() not in output:
        left = deadline - time.monotonic()
        assert left > 0, f"ctkg build did not say {phrase!r} within {timeout:g} s:\n{output.decode()[-2000:]}"
        ready, _, _ = select.select([build.stdout], [], [], left)
        chunk = os.read(build.stdout.fileno(), 65536) if ready else b""
        assert chunk or not ready, (f"ctkg build ended (exit code {build.wait(10)}) before it said {phrase!r}:\n"
                                    f"{output.decode()[-2000:]}")
        output += chunk
    return output.decode("utf-8", "replace")
