"""Waiting for a condition, bounded in time: the one place a test or a benchmark waits."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.01,
               what: str = "the condition") -> T:
    """Call `condition` until it returns something true, and return that; TimeoutError after `timeout` seconds.

    >>> wait_until(lambda: 42)
    42
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not hold within {timeout:g} s")
        time.sleep(interval)
