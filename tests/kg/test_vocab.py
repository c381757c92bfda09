"""`kg.vocab.CTKG` and `ontology/ctkg.ttl` declare the same terms, each with one OWL kind, a label and a definition."""

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.vocab import CTKG, ONTOLOGY_IRI

ONTOLOGY_FILE = Path(__file__).parents[2] / "ontology" / "ctkg.ttl"
OWL_KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual}
TERM_NAMES = sorted(CTKG.__annotations__)  # a DefinedNamespace lists its terms as annotations


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE)


def in_ctkg_namespace(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(CTKG._NS))


def test_vocab_and_ontology_declare_the_same_terms(ontology: Graph):
    in_vocab = {CTKG[name] for name in TERM_NAMES}
    declared = {s for s, kind in ontology.subject_objects(RDF.type) if in_ctkg_namespace(s) and kind in OWL_KINDS}
    assert in_vocab - declared == set(), "in kg/vocab.py but not declared in ontology/ctkg.ttl"
    assert declared - in_vocab == set(), "declared in ontology/ctkg.ttl but missing from kg/vocab.py"


def test_ontology_uses_only_declared_ctkg_terms(ontology: Graph):
    used = {term for triple in ontology for term in triple if in_ctkg_namespace(term)}
    assert used - {CTKG[name] for name in TERM_NAMES} == set(), "ctkg IRIs used in ontology/ctkg.ttl but not declared"


def test_ontology_header(ontology: Graph):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/0.1.0")
    assert (ONTOLOGY_IRI, OWL.imports, None) not in ontology


@pytest.mark.parametrize("name", TERM_NAMES)
def test_term_has_one_kind_a_label_and_a_definition(ontology: Graph, name: str):
    term = CTKG[name]
    kinds = set(ontology.objects(term, RDF.type)) & OWL_KINDS
    assert len(kinds) == 1, f"{name} is declared as {sorted(kinds)}; declare it as exactly one OWL kind"
    for annotation in (RDFS.label, SKOS.definition):
        values = list(ontology.objects(term, annotation))
        english = [v for v in values if isinstance(v, Literal) and v.language == "en" and str(v).strip()]
        assert len(english) == 1 and len(values) == 1, f"{name} needs exactly one English {annotation.n3()}"
