"""The Protégé export: the ontology and all individuals as one OWL 2 DL document in RDF/XML.

This module owns the rules that make the union of `ontology/ctkg.ttl` and the data readable by OWL
tools (Protégé, the OWL API, HermiT) without guessing:

- every IRI is declared, and declared as one kind of entity only (no punning): subjects and the
  objects of object properties become `owl:NamedIndividual`, the objects of `rdf:type` become
  `owl:Class`, and predicates the ontology does not declare become `owl:AnnotationProperty`, the one
  kind that can take both literals and IRIs and never enters reasoning;
- IRI values of annotation properties (`schema:url`, `skos:exactMatch`) stay plain IRIs: in OWL they
  are not entities, and declaring every web address as an individual would only crowd Protégé;
- no `owl:imports`, no RDF lists, and no schema statements (`owl:Class`, `rdfs:subClassOf`, ...) in
  the data: the first are dropped, the others refused with `ProtegeError`;
- literals are kept as they are, dates included (`xsd:date`, `xsd:gYearMonth`, `xsd:gYear`).

It does not reason and does not validate the data; SHACL and the OWL checks in
`tests/kg/test_protege.py` do that.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .errors import CTKGError
from .vocab import PREFIXES

# The OWL kinds of entity a declaration can give an IRI.
ENTITY_KINDS: dict[URIRef, str] = {
    OWL.Class: "class",
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    OWL.NamedIndividual: "individual",
    RDFS.Datatype: "datatype",
}

# Built-in annotation properties of OWL 2: usable in the data without a declaration.
BUILT_IN_ANNOTATION_PROPERTIES = frozenset({
    RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
    OWL.versionInfo, OWL.deprecated, OWL.priorVersion, OWL.backwardCompatibleWith, OWL.incompatibleWith,
})
# Reserved-vocabulary predicates that state facts about individuals.
INDIVIDUAL_PREDICATES = frozenset({OWL.sameAs, OWL.differentFrom})
RESERVED_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))


@dataclass
class ProtegeError(CTKGError):
    """The graph cannot be exported as OWL 2 DL: every problem found, each naming the IRIs involved."""

    problems: list[str]

    def __str__(self) -> str:
        return "cannot export for Protégé:\n" + "\n".join(f"- {problem}" for problem in self.problems)


def protege_graph(ontology: Graph, individuals: Graph) -> Graph:
    """The ontology plus every individual triple, with every IRI declared once; raises ProtegeError.

    `individuals` is the union of all data as plain triples; triples it shares with the ontology
    (a build may load both into one graph) are taken as part of the ontology.

    >>> from kg.vocab import CTKG, ID
    >>> onto = Graph().add((CTKG.Antigen, RDF.type, OWL.Class))
    >>> data = Graph().add((ID["antigen/bcma"], RDF.type, CTKG.Antigen))
    >>> (ID["antigen/bcma"], RDF.type, OWL.NamedIndividual) in protege_graph(onto, data)
    True
    """
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    for triple in ontology:
        if triple[1] != OWL.imports:
            out.add(triple)

    kinds = _declared_kinds(out)
    ontology_iris = set(out.subjects(RDF.type, OWL.Ontology))
    data = [t for t in individuals if t not in ontology and t[1] != OWL.imports]
    data_classes = {o for _, p, o in data if p == RDF.type and not _reserved(o)}
    data_predicates = {p for _, p, _ in data}

    def is_term(iri) -> bool:
        """A class, property or ontology, which annotations may describe without becoming individuals."""
        return iri in ontology_iris or iri in data_classes or iri in data_predicates or bool(
            kinds.get(iri, set()) - {"individual"})

    needs = _Needs(kinds, is_term, individuals)
    for s, p, o in data:
        if needs.admit(s, p, o):
            out.add((s, p, o))

    for predicate in needs.annotation_properties:
        _declare(out, kinds, predicate, OWL.AnnotationProperty)
    for cls in needs.classes:
        if "class" not in kinds.get(cls, set()) and cls != OWL.Thing:
            _declare(out, kinds, cls, OWL.Class)
    for individual in needs.individuals:
        if isinstance(individual, URIRef) and "individual" not in kinds.get(individual, set()):
            _declare(out, kinds, individual, OWL.NamedIndividual)

    problems = needs.problems + [
        f"<{iri}> is used as {' and '.join(sorted(names))}; one IRI, one kind of entity"
        for iri, names in sorted(kinds.items()) if len(names) > 1]
    if problems:
        raise ProtegeError(problems)
    return out


@dataclass
class _Needs:
    """What the data triples need declared, and the problems of those OWL 2 DL cannot take."""

    kinds: dict[URIRef, set[str]]  # the declared kinds of entity of each IRI
    is_term: Callable[[object], bool]  # a class, property or ontology rather than an individual
    data: Graph  # where an RDF list used as a value is looked up
    individuals: set = field(default_factory=set)
    classes: set = field(default_factory=set)
    annotation_properties: set = field(default_factory=set)  # predicates nothing declares
    problems: list[str] = field(default_factory=list)

    def admit(self, s, p, o) -> bool:
        """Note what the triple needs declared; False when it is left out of the export (a problem noted)."""
        if p in (RDF.first, RDF.rest):
            return False  # a cell of a list, reported where the list is used as a value
        if o == RDF.nil or (isinstance(o, BNode) and (o, RDF.first, None) in self.data):
            return self._problem(f"an RDF list is the value of <{p}> on {_name(s)}; OWL individuals cannot have "
                                 "list values")
        if p == RDF.type:
            if o == OWL.NamedIndividual or o == OWL.Thing:
                self.individuals.add(s)
            elif _reserved(o) or not isinstance(o, URIRef):
                return self._problem(f"{_name(s)} is declared a {_name(o)} in the data; schema statements "
                                     "belong in ontology/ctkg.ttl")
            else:
                self.individuals.add(s)
                self.classes.add(o)
        elif p in INDIVIDUAL_PREDICATES:
            self.individuals.update((s, o))
        elif _reserved(p) and p not in BUILT_IN_ANNOTATION_PROPERTIES:
            return self._problem(f"{_name(s)} has a <{p}> statement in the data; schema statements belong in "
                                 "ontology/ctkg.ttl")
        else:
            return self._admit_property_value(s, p, o)
        return True

    def _admit_property_value(self, s, p, o) -> bool:
        kind = self.kinds.get(p, set())
        if "object property" in kind:
            if isinstance(o, Literal):
                return self._problem(f"{_name(s)} has the literal {o.n3()} as value of the object property <{p}>")
            self.individuals.update((s, o))
        elif "datatype property" in kind:
            if not isinstance(o, Literal):
                return self._problem(f"{_name(s)} has the IRI {_name(o)} as value of the datatype property <{p}>")
            self.individuals.add(s)
        else:
            if not kind and p not in BUILT_IN_ANNOTATION_PROPERTIES:
                self.annotation_properties.add(p)
            if not self.is_term(s):
                self.individuals.add(s)
        return True

    def _problem(self, message: str) -> bool:
        self.problems.append(message)
        return False


def write_protege(graph: Graph, path: Path) -> Path:
    """Write the graph as RDF/XML, the format Protégé and owlready2 read best; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    graph.serialize(destination=path, format="pretty-xml", encoding="utf-8")
    return path


def _declared_kinds(graph: Graph) -> dict[URIRef, set[str]]:
    kinds: dict[URIRef, set[str]] = defaultdict(set)
    for rdf_type, kind in ENTITY_KINDS.items():
        for subject in graph.subjects(RDF.type, rdf_type):
            if isinstance(subject, URIRef):
                kinds[subject].add(kind)
    return kinds


def _declare(graph: Graph, kinds: dict[URIRef, set[str]], iri: URIRef, rdf_type: URIRef) -> None:
    graph.add((iri, RDF.type, rdf_type))
    kinds[iri].add(ENTITY_KINDS[rdf_type])


def _reserved(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(RESERVED_NAMESPACES)


def _name(term) -> str:
    return term.n3() if isinstance(term, URIRef | BNode | Literal) else repr(term)
