"""A call on a thread of its own, whose result or exception reaches the thread that asked for it: an
assertion made on another thread could not fail a test."""

import threading
import time
from collections.abc import Callable
from typing import Any


class InThread:
    """`call()` started on a daemon thread; `result()` joins it and returns what it returned, or raises what
    it raised. `elapsed` is how long the call took, once it has returned."""

    def __init__(self, call: Callable[[], Any]):
        self._call = call
        self._outcome: dict[str, Any] = {}
        self.elapsed: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            self._outcome["result"] = self._call()
        except BaseException as exc:  # handed to the thread that reads the result
            self._outcome["error"] = exc
        self.elapsed = time.monotonic() - started

    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self, timeout: float) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the call on a thread did not return within {timeout:g} s")
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]
