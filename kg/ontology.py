"""The ontology as builds use it: parsed from `ontology/*.ttl`, its class hierarchy closed transitively.

The hierarchy is closed transitively here, once, for both term libraries: rdflib terms where facts are
typed (`superclasses`), pyoxigraph terms where the store is checked (`kg.shape_plan`).
"""

from collections.abc import Hashable
from pathlib import Path
from typing import TypeVar

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .errors import BuildError
from .vocab import ONTOLOGY_IRI

Node = TypeVar("Node", bound=Hashable)


def load_ontology(ontology_dir: Path) -> Graph:
    """Every `*.ttl` file of `ontology_dir` in one graph; BuildError when none declares the ontology."""
    ontology = Graph()
    for path in sorted(ontology_dir.glob("*.ttl")):
        ontology.parse(path, format="turtle")
    if (ONTOLOGY_IRI, RDF.type, OWL.Ontology) not in ontology:
        raise BuildError(f"{ontology_dir}: no file declares the ontology <{ONTOLOGY_IRI}>")
    return ontology


def closure(direct: dict[Node, set[Node]]) -> dict[Node, set[Node]]:
    """Each key of `direct` with every node reachable from it through `direct` (itself only on a cycle).

    >>> closed = closure({"car-t": {"cell-therapy"}, "cell-therapy": {"medicine"}})
    >>> sorted(closed["car-t"]), sorted(closed["cell-therapy"])
    (['cell-therapy', 'medicine'], ['medicine'])
    >>> closure({"a": {"b"}, "b": {"a"}})["a"] == {"a", "b"}
    True
    """
    closed: dict[Node, set[Node]] = {}
    for start in direct:
        seen: set[Node] = set()
        todo = list(direct[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(direct.get(node, ()))
        closed[start] = seen
    return closed


def superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Each named class with all its named superclasses (transitively), from rdfs:subClassOf."""
    direct: dict[URIRef, set[URIRef]] = {}
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct.setdefault(sub, set()).add(sup)
    return closure(direct)
