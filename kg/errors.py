"""Errors the library raises; the CLI and the API turn them into messages and exit codes."""

from dataclasses import dataclass
from pathlib import Path


class CTKGError(Exception):
    """Base of every error the library raises on purpose."""


@dataclass
class FactsError(CTKGError):
    """A facts file cannot be read: what is wrong, where, and how to fix it."""

    file: Path | str
    fact: str  # e.g. "applications[2] (fucaso-hk)" or "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", {self.fact}" if self.fact else "")
        return f"{where}: {self.message}"


class BuildError(CTKGError):
    """A build did not produce a graph; the previous graph is left in place."""


class StoreError(CTKGError):
    """No built graph can be opened."""


class PushError(CTKGError):
    """A push to a SPARQL server's graph store failed; what it loaded so far stays there."""
