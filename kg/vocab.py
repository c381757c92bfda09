"""The CTKG vocabulary, declared once: the ontology namespace, the instance namespace and the prefix table.

`tests/kg/test_vocab.py` keeps this class in step with `ontology/ctkg.ttl`.
"""

from collections.abc import Mapping

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD, DefinedNamespace

ONTOLOGY_IRI = URIRef("https://w3id.org/ctkg/ontology")
ID = Namespace("https://w3id.org/ctkg/id/")
# The VoID record of a pushed build, in a graph of that name on the SPARQL server (kg.push); not a source.
DATASET = URIRef(f"{ID}dataset/ctkg")


class CTKG(DefinedNamespace):
    """The CTKG ontology: https://w3id.org/ctkg/ontology#"""

    _NS = Namespace("https://w3id.org/ctkg/ontology#")
    _fail = True

    # Products
    MedicinalProduct: URIRef  # a medicine authorised or submitted for authorisation
    AdvancedTherapyMedicinalProduct: URIRef  # a gene, cell or tissue based medicine
    CellTherapyProduct: URIRef  # a medicine whose active substance is living cells
    CARTCellTherapy: URIRef  # T cells engineered to express a chimeric antigen receptor
    Antigen: URIRef  # the molecule a product's receptor binds
    # Organizations and people
    Organization: URIRef
    Company: URIRef
    RegulatoryAuthority: URIRef
    CooperationScheme: URIRef  # e.g. PIC/S
    Person: URIRef
    # Places
    Jurisdiction: URIRef
    # Regulatory decisions
    RegulatoryApplication: URIRef
    ApplicationStatus: URIRef
    Approved: URIRef
    UnderReview: URIRef
    Rejected: URIRef
    Withdrawn: URIRef
    ApplicationType: URIRef
    BiologicsLicenseApplication: URIRef
    NewDrugApplication: URIRef
    MarketingAuthorisationApplication: URIRef
    IndicationExtension: URIRef
    RegulatoryPathway: URIRef
    ClinicalStudy: URIRef
    # GMP and PIC/S
    PICSMembership: URIRef
    PICSAccessionStep: URIRef  # a dated step towards joining PIC/S, e.g. an application
    GMPInspection: URIRef
    InspectionOutcome: URIRef
    Compliant: URIRef
    NonCompliant: URIRef
    # Provenance and claims
    Source: URIRef
    Claim: URIRef
    Confidence: URIRef
    Verified: URIRef
    Unverified: URIRef
    DateBasis: URIRef
    DecisionDateBasis: URIRef
    AnnouncementDateBasis: URIRef
    DerivedDateBasis: URIRef
    # The life of an authorisation
    CaseType: URIRef  # first authorisation, extension or conversion (FHIR RegulatedAuthorization.case.type)
    FirstAuthorisation: URIRef
    AuthorisationExtension: URIRef
    AuthorisationConversion: URIRef
    TypeBasis: URIRef  # whether a case type is stated by the source or derived
    StatedTypeBasis: URIRef
    DerivedTypeBasis: URIRef
    RegulatoryEvent: URIRef  # a dated event of an authorisation or its application, besides the decision
    EventType: URIRef
    Submission: URIRef
    Suspension: URIRef
    Renewal: URIRef
    Withdrawal: URIRef
    Expiry: URIRef

    # On a RegulatoryApplication
    product: URIRef
    regulator: URIRef
    applicant: URIRef
    status: URIRef
    decisionDate: URIRef
    dateBasis: URIRef
    announcementDate: URIRef
    applicationType: URIRef
    indication: URIRef
    pathway: URIRef
    reliesOn: URIRef
    supportingStudy: URIRef
    opinionBy: URIRef
    caseType: URIRef
    typeBasis: URIRef
    extends: URIRef  # the first authorisation an extension or conversion builds on
    # On a RegulatoryEvent
    eventOf: URIRef
    eventType: URIRef
    eventAuthority: URIRef
    eventDate: URIRef
    opinionDate: URIRef  # when the opinion was adopted, not the decision
    # On a product
    sponsor: URIRef
    inn: URIRef
    brandName: URIRef
    targetAntigen: URIRef
    # On an authority, pathway or person
    jurisdiction: URIRef
    picsParticipatingUnit: URIRef  # the authority that takes part in PIC/S for this one
    webDomain: URIRef  # a website as the source gives it, e.g. fda.gov
    pathwayAuthority: URIRef
    affiliation: URIRef
    roleTitle: URIRef
    # On a PICSMembership
    participatingAuthority: URIRef
    scheme: URIRef
    accessionDate: URIRef
    # On a PICSMembership or PICSAccessionStep whose source names a jurisdiction, not an authority
    participatingJurisdiction: URIRef
    # On a PICSAccessionStep
    accedingAuthority: URIRef
    accessionStatus: URIRef
    statusDate: URIRef
    # On a GMPInspection
    inspectingAuthority: URIRef
    inspectedOrganization: URIRef
    inspectedProduct: URIRef
    inspectionDate: URIRef
    outcome: URIRef
    gmpStandard: URIRef
    # On a ClinicalStudy
    studiedProduct: URIRef
    studyRole: URIRef
    # On a Claim
    about: URIRef
    claimText: URIRef
    # On any fact
    evidence: URIRef
    confidence: URIRef
    curationNote: URIRef


# One prefix table for build, export, SPARQL and the `.rq` files.
PREFIXES: dict[str, str] = {
    "ctkg": str(CTKG._NS),
    "id": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "schema": str(SDO),
}
# Validation reports also name SHACL's own terms: severities, and the constraints a shape uses.
REPORT_PREFIXES: dict[str, str] = PREFIXES | {"sh": str(SH)}


def sparql_prologue() -> str:
    """PREFIX lines for every prefix in the table."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def prefixed(iri: str, skip: tuple[str, ...] = (), prefixes: Mapping[str, str] = PREFIXES) -> str:
    """`iri` as a prefixed name of the table (`ctkg:Approved`), or whole when no prefix covers it; prefixes in
    `skip` are not used (pages show instance IRIs whole, not as `id:`).

    >>> prefixed("https://w3id.org/ctkg/ontology#Approved")
    'ctkg:Approved'
    >>> prefixed("https://w3id.org/ctkg/id/authority/fda", skip=("id",))
    'https://w3id.org/ctkg/id/authority/fda'
    >>> prefixed("https://example.org/x")
    'https://example.org/x'
    >>> prefixed("http://www.w3.org/ns/shacl#Violation", prefixes=REPORT_PREFIXES)
    'sh:Violation'
    """
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and prefix not in skip:
            return f"{prefix}:{iri[len(ns):]}"
    return iri

