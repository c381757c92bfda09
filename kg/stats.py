"""What a build holds, counted once when it is built: how many resources (instances, not ontology terms) each
class has, which the manifest records for /stats. After a change, the previous build's counts are updated
from the classes of the resources the change touched, before and after it (`types`, `updated`)."""

import json
from collections import Counter

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS

from .rq import read_query
from .vocab import ID, PREFIXES


def class_counts(store: ox.Store) -> list[dict]:
    """Each class with instances: its IRI, label (or None) and how many instances it has, most first; the answer
    of `kg/store_queries/entities-per-class.rq`."""
    answer = store.query(read_query("kg", "store_queries", "entities-per-class"), prefixes=PREFIXES)
    rows = json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]
    return [{"class": row["class"]["value"], "label": row["label"]["value"] if "label" in row else None,
             "entities": int(row["entities"]["value"])} for row in rows]


def types(store: ox.Store, subjects: set[str]) -> Counter:
    """How many of `subjects` (the instances among them) each class has in `store`'s default graph."""
    counts: Counter = Counter()
    for subject in subjects:
        if subject.startswith(str(ID)):
            counts.update({q.object.value for q in store.quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(str(RDF.type)), None, ox.DefaultGraph())
                if isinstance(q.object, ox.NamedNode)})
    return counts


def updated(previous: list[dict], before: Counter, after: Counter, store: ox.Store) -> list[dict]:
    """The counts of `previous` (`class_counts` of the store before a change) once the change has taken the
    classes `before` from the resources it touched and given them `after`; in `class_counts`' order."""
    counts = Counter({row["class"]: row["entities"] for row in previous})
    counts.update(after)
    counts.subtract(before)
    labels = {row["class"]: row["label"] for row in previous}
    for cls in counts.keys() - labels.keys():
        found = [q.object for q in store.quads_for_pattern(ox.NamedNode(cls), ox.NamedNode(str(RDFS.label)), None,
                                                            ox.DefaultGraph())]
        labels[cls] = min((str(label.value) for label in found), default=None)
    return [{"class": cls, "label": labels[cls], "entities": n}
            for cls, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if n > 0]
