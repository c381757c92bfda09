"""The Protégé export: declared without punning (unit tests), OWL 2 DL by the OWL API, consistent by HermiT.

The OWL API checks run `tests/owl/CheckOntology.java` against Debian's OWL API 5 jars; they are
skipped, saying so, when java, javac or the jars are missing. Install them with
`apt-get install -y --no-install-recommends default-jdk-headless libowlapi-java`, or point
OWLAPI_CLASSPATH at an OWL API 5 classpath.

HermiT supports only the OWL 2 datatype map and rejects xsd:date, xsd:gYearMonth and xsd:gYear
literals. CTKG's date properties have no range, so nothing in the ontology depends on a date's value;
the HermiT run therefore uses HermiT's ignoreUnsupportedDatatypes option, which keeps each date
assertion but treats its literal as an opaque value (domains still apply: see
`test_hermit_still_reasons_with_date_assertions`). Before that, the test asserts that no other
datatype outside the map occurs, so the option hides nothing else.
"""

import shutil
from pathlib import Path

import owlready2
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.export import protege_export
from kg.facts import read_facts
from kg.protege import ProtegeError, protege_graph, write_protege
from kg.vocab import CTKG, ID, ONTOLOGY_IRI

from .conftest import APT_LINE

ROOT = Path(__file__).parents[2]
ONTOLOGY_FILE = ROOT / "ontology" / "ctkg.ttl"
SEED_FACTS = ROOT / "data" / "sources" / "fucaso-hong-kong-approval.yaml"
DATE_DATATYPES = {XSD.date, XSD.gYearMonth, XSD.gYear}
# https://www.w3.org/TR/owl2-syntax/#Datatype_Maps, plus rdf:langString for language-tagged text.
OWL2_DATATYPE_MAP = {
    RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString, RDFS.Literal, OWL.real, OWL.rational,
    XSD.decimal, XSD.integer, XSD.nonNegativeInteger, XSD.nonPositiveInteger, XSD.positiveInteger,
    XSD.negativeInteger, XSD.long, XSD.int, XSD.short, XSD.byte, XSD.unsignedLong, XSD.unsignedInt,
    XSD.unsignedShort, XSD.unsignedByte, XSD.double, XSD.float, XSD.string, XSD.normalizedString,
    XSD.token, XSD.language, XSD.Name, XSD.NCName, XSD.NMTOKEN, XSD.boolean, XSD.hexBinary,
    XSD.base64Binary, XSD.anyURI, XSD.dateTime, XSD.dateTimeStamp,
}

PRODUCT = ID["product/equecabtagene-autoleucel"]
PERSON = ID["person/jinhua-zhang"]
CLAIM = ID["claim/pics-has-more-than-56-authorities"]


# --- fixtures -------------------------------------------------------------------------------------


def with_superclass_types(data: Graph, ontology: Graph) -> Graph:
    """The data plus every superclass of every rdf:type, as the build adds them."""
    closed = Graph()
    for triple in data:
        closed.add(triple)
    for node, cls in data.subject_objects(RDF.type):
        for superclass in ontology.transitive_objects(cls, RDFS.subClassOf):
            closed.add((node, RDF.type, superclass))
    return closed


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def individuals(ontology: Graph) -> Graph:
    return with_superclass_types(read_facts(SEED_FACTS).graph, ontology)


@pytest.fixture(scope="module")
def export(store) -> Graph:
    """What `ctkg export --protege` writes, from the store built from all of data/."""
    return protege_export(store)


@pytest.fixture(scope="module")
def hermit_java():
    if not shutil.which(owlready2.JAVA_EXE):
        pytest.skip(f"java is needed for HermiT; install with: {APT_LINE}")


def run_hermit(path: Path) -> list:
    """Classify with HermiT through owlready2; return the unsatisfiable classes, or raise if inconsistent."""
    world = owlready2.World()
    world.get_ontology(path.resolve().as_uri()).load()
    owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
    return [cls for cls in world.inconsistent_classes() if cls is not owlready2.Nothing]


def extended(graph: Graph, *triples) -> Graph:
    out = Graph()
    for triple in (*graph, *triples):
        out.add(triple)
    return out


# --- the export itself -----------------------------------------------------------------------------


def test_export_keeps_ontology_and_individuals(ontology: Graph, individuals: Graph, export: Graph):
    assert set(ontology) <= set(export)
    assert set(individuals) <= set(export)


def test_rdf_xml_file_holds_the_export(export: Graph, tmp_path):
    written = Graph().parse(write_protege(export, tmp_path / "ctkg.owl"), format="xml")
    assert set(written) == set(export)


def test_every_iri_is_declared_as_one_kind(export: Graph):
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual}
    ontology_iris = set(export.subjects(RDF.type, OWL.Ontology))
    for subject in set(export.subjects()) - ontology_iris:
        if isinstance(subject, URIRef):
            declared = set(export.objects(subject, RDF.type)) & kinds
            assert len(declared) == 1, f"{subject} is declared as {sorted(declared)}"


def test_individuals_are_declared(export: Graph):
    for node in (PRODUCT, PERSON, CLAIM, ID["source/pharmaceutical-technology-fucaso-hong-kong-approval"]):
        assert (node, RDF.type, OWL.NamedIndividual) in export


def test_undeclared_predicate_becomes_annotation_property(ontology: Graph, individuals: Graph):
    note = URIRef("https://example.org/note")
    out = protege_graph(ontology, extended(individuals, (PRODUCT, note, Literal("x")), (PERSON, note, PRODUCT)))
    assert (note, RDF.type, OWL.AnnotationProperty) in out


def test_imports_are_dropped(ontology: Graph, individuals: Graph):
    imports = (ONTOLOGY_IRI, OWL.imports, URIRef("https://example.org/other"))
    assert imports not in protege_graph(extended(ontology, imports), individuals)


def test_ontology_triples_in_the_data_are_accepted(ontology: Graph, individuals: Graph):
    union = extended(individuals, *ontology)
    assert set(protege_graph(ontology, union)) == set(protege_graph(ontology, individuals))


@pytest.mark.parametrize(("triple", "message"), [
    ((CLAIM, CTKG.about, CTKG.CARTCellTherapy), "is used as class and individual"),
    ((PRODUCT, RDF.type, OWL.Class), "schema statements belong in ontology/ctkg.ttl"),
    ((PRODUCT, RDFS.subClassOf, CTKG.Antigen), "schema statements belong in ontology/ctkg.ttl"),
    ((PRODUCT, CTKG.sponsor, Literal("IASO")), "literal"),
    ((PRODUCT, CTKG.inn, PERSON), "as value of the datatype property"),
], ids=["punning", "class-in-data", "axiom-in-data", "literal-object", "iri-data-value"])
def test_not_owl_2_dl_is_refused(ontology: Graph, individuals: Graph, triple, message: str):
    with pytest.raises(ProtegeError) as raised:
        protege_graph(ontology, extended(individuals, triple))
    assert message in str(raised.value)


def test_rdf_list_value_is_refused(ontology: Graph, individuals: Graph):
    data = extended(individuals)
    head = BNode()
    Collection(data, head, [Literal("a"), Literal("b")])
    data.add((PRODUCT, CTKG.brandName, head))
    with pytest.raises(ProtegeError, match="RDF list"):
        protege_graph(ontology, data)


# --- the OWL API: OWL 2 DL, everything declared, no punning ----------------------------------------


def test_owl_api_finds_owl_2_dl_without_undeclared_entities_or_punning(export: Graph, owl_checker, tmp_path):
    result = owl_checker(write_protege(export, tmp_path / "ctkg.owl"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_owl_api_check_fails_on_punning(export: Graph, owl_checker, tmp_path):
    # Written past protege_graph, which would refuse it: the checker itself must catch it.
    punned = extended(export, (PRODUCT, RDF.type, OWL.Class))
    result = owl_checker(write_protege(punned, tmp_path / "punned.owl"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"punned: {PRODUCT}" in result.stdout


# --- HermiT: consistent, every class satisfiable ----------------------------------------------------


def test_only_date_datatypes_are_outside_the_owl_2_datatype_map(export: Graph):
    datatypes = {o.datatype for o in export.objects() if isinstance(o, Literal) and o.datatype}
    assert datatypes - OWL2_DATATYPE_MAP <= DATE_DATATYPES


def test_hermit_finds_export_consistent_with_every_class_satisfiable(export: Graph, hermit_java, tmp_path):
    unsatisfiable = run_hermit(write_protege(export, tmp_path / "ctkg.owl"))
    assert unsatisfiable == []


def test_hermit_still_reasons_with_date_assertions(export: Graph, hermit_java, tmp_path):
    # decisionDate has domain RegulatoryApplication, disjoint from Person: only inconsistent if the
    # date assertion is kept despite its unsupported datatype.
    dated_person = extended(export, (PERSON, CTKG.decisionDate, Literal("2023-06", datatype=XSD.gYearMonth)))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        run_hermit(write_protege(dated_person, tmp_path / "dated-person.owl"))


def test_hermit_reports_unsatisfiable_classes(export: Graph, hermit_java, tmp_path):
    both = URIRef("https://example.org/CompanyAndAuthority")
    impossible = extended(export, (both, RDF.type, OWL.Class),
                          (both, RDFS.subClassOf, CTKG.Company), (both, RDFS.subClassOf, CTKG.RegulatoryAuthority))
    unsatisfiable = run_hermit(write_protege(impossible, tmp_path / "impossible.owl"))
    assert [cls.iri for cls in unsatisfiable] == [str(both)]
