"""The whole-graph quality checks: each `qc/*-violation.rq` query returns ?focus and ?message for every
problem, and must return no rows.

After a change to a graph that passed them, a problem can only be on a node the change touched: most checks
then run with ?focus bound to those nodes. A check whose focus is not such a node (`label-collision` reports
a name on the least of the resources that share it) runs on the whole graph, unless the caller finds it
another way: a build reads it from its search index (`label_collisions`), where the names are indexed."""

from collections.abc import Iterable

import pyoxigraph as ox

from .findings import Finding
from .rq import query_files
from .sparql_text import bind_rows
from .vocab import PREFIXES

SUFFIX = "-violation"
# Checks that cannot be bound to the nodes of a change: their ?focus is computed, not matched.
UNBOUND = frozenset({"label-collision"})
LABEL_COLLISION = "label-collision"


def label_collisions(shared: list[tuple[str, list[str]]]) -> list[Finding]:
    """The findings of `label-collision-violation.rq`, word for word, from the shared names and their resources
    in order of IRI (`kg.search_index.collisions`)."""
    return [Finding(focus=members[0], path=LABEL_COLLISION, severity="Violation",
                    message=f'the name "{key}" is shared by <{"> and <".join(members)}>; '
                            "merge them into one resource or rename one") for key, members in shared]


def qc_queries() -> dict[str, str]:
    """Each check's SPARQL by its name, the file name without `-violation.rq`.

    >>> "label-collision" in qc_queries()
    True
    """
    return {name.removesuffix(SUFFIX): text for name, text in query_files("kg", "qc", f"{SUFFIX}.rq").items()}


def qc_findings(store: ox.Store, foci: Iterable[ox.NamedNode] | None = None,
                skip: Iterable[str] = ()) -> list[Finding]:
    """Every check on the whole store (the default graph holds the union of the sources); with `foci`, the
    checks that can be bound to them report on those nodes only (the others on the whole store), and the
    checks named in `skip` do not run."""
    out = []
    foci = None if foci is None else sorted(foci, key=lambda n: n.value)
    for name, query in qc_queries().items():
        if name in skip:
            continue
        if foci is not None and name not in UNBOUND:
            query = bind_rows(query, "focus", foci)
        for row in store.query(query, prefixes=PREFIXES):
            out.append(Finding(focus=row["focus"].value, path=name, message=row["message"].value,
                               severity="Violation"))
    return out
