"""The whole-graph quality checks: each `qc/*-violation.rq` query returns ?focus and ?message for every
problem, and must return no rows."""

import pyoxigraph as ox

from .findings import Finding
from .rq import query_files
from .vocab import PREFIXES

SUFFIX = "-violation"


def qc_queries() -> dict[str, str]:
    """Each check's SPARQL by its name, the file name without `-violation.rq`.

    >>> "label-collision" in qc_queries()
    True
    """
    return {name.removesuffix(SUFFIX): text for name, text in query_files("kg", "qc", f"{SUFFIX}.rq").items()}


def qc_findings(store: ox.Store) -> list[Finding]:
    """Every check on the whole store (the default graph holds the union of the sources)."""
    out = []
    for name, query in qc_queries().items():
        for row in store.query(query, prefixes=PREFIXES):
            out.append(Finding(focus=row["focus"].value, path=name, message=row["message"].value,
                               severity="Violation"))
    return out
