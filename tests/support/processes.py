"""What a process is doing, read from /proc: its children, whether it is dead, its CPU time and memory."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None if there is no such pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _parents() -> dict[int, list[int]]:
    """Every live pid's children, by parent pid."""
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            found.setdefault(int(fields[1]), []).append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    """The child processes of `pid`."""
    return _parents().get(pid, [])


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it."""
    parents, found, todo = _parents(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def is_dead(pid: int) -> bool:
    """Gone, or a zombie waiting to be reaped: either way it runs nothing."""
    fields = _stat(pid)
    return fields is None or fields[0] in ("Z", "X")


def process_group(pid: int) -> int | None:
    """The process group of `pid`, or None if there is no such process."""
    fields = _stat(pid)
    return int(fields[2]) if fields else None


def cpu_seconds(pid: int) -> float:
    """The CPU time `pid` has used so far (user and system)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def peak_memory_of(pids: list[int], every: float = 0.02) -> Iterator[list[float]]:
    """Sample the resident memory of `pids` every `every` seconds while the block runs; yields [peak MB]."""
    peak, done = [0.0], threading.Event()

    def watch() -> None:
        while True:
            peak[0] = max([peak[0], *(resident_mb(pid) for pid in pids)])
            if done.wait(every):
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield peak
    finally:
        done.set()
        watcher.join(5)


def busy_worker(pids: list[int], before: dict[int, float], cpu: float = 0.3) -> int | None:
    """The pid that has used more than `cpu` seconds of CPU since `before` (the most, if several), or None."""
    busiest = max(pids, key=lambda pid: cpu_seconds(pid) - before.get(pid, 0.0))
    return busiest if cpu_seconds(busiest) - before.get(busiest, 0.0) > cpu else None
