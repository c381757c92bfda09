"""What a build holds, counted once when it is built: how many resources (instances, not ontology terms) each
class has, which the manifest records for /stats."""

import json

import pyoxigraph as ox

from .rq import read_query
from .vocab import PREFIXES


def class_counts(store: ox.Store) -> list[dict]:
    """Each class with instances: its IRI, label (or None) and how many instances it has, most first; the answer
    of `kg/store_queries/entities-per-class.rq`."""
    answer = store.query(read_query("kg", "store_queries", "entities-per-class"), prefixes=PREFIXES)
    rows = json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]
    return [{"class": row["class"]["value"], "label": row["label"]["value"] if "label" in row else None,
             "entities": int(row["entities"]["value"])} for row in rows]
