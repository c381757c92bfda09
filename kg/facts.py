"""Facts files: the curated YAML format (see `data/README.md`) and its translation into RDF.

One file is one source. Its facts become triples in a named graph whose IRI is the source's IRI;
every fact node also carries `prov:wasDerivedFrom` its source and a `ctkg:evidence` snippet.
Structural problems (bad YAML, unknown field, impossible date, bad id) raise `FactsError` here;
what the graph as a whole must satisfy (required links, classes of linked nodes) is SHACL's job.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SDO, SKOS, XSD

from .errors import FactsError
from .vocab import CTKG, ID

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_EVIDENCE_CHARS = 400

Term = URIRef | Literal
Convert = Callable[[str], list[Term]]


# --- value converters: each takes the raw YAML value and returns RDF terms, or raises ValueError ---


def text(value) -> list[Term]:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty text, got {value!r}")
    return [Literal(value.strip())]


def texts(value) -> list[Term]:
    if isinstance(value, str):
        return text(value)
    if not isinstance(value, list):
        raise ValueError(f"expected a text or a list of texts, got {value!r}")
    return [term for item in value for term in text(item)]


def date(value) -> list[Term]:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, typed as precisely as written and no more.

    >>> [d.datatype.fragment for d in date("2023-06") + date("2023-06-30")]
    ['gYearMonth', 'date']
    >>> date("2023-02-30")
    Traceback (most recent call last):
    ...
    ValueError: '2023-02-30' is not a real calendar date
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    value = value.strip()
    try:
        # ASCII digits only: `\d` would take "٢٠٢٣", which is no XSD date (pySHACL let one through).
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            dt.date.fromisoformat(value)
            return [Literal(value, datatype=XSD.date)]
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            dt.date.fromisoformat(value + "-01")
            return [Literal(value, datatype=XSD.gYearMonth)]
        if re.fullmatch(r"[0-9]{4}", value):
            dt.date(int(value), 1, 1)  # no year 0000
            return [Literal(value, datatype=XSD.gYear)]
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date") from None
    raise ValueError(f"{value!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")


def url(value) -> list[Term]:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value.strip()):
        raise ValueError(f"expected an http(s) address, got {value!r}")
    return [URIRef(value.strip())]


def ref(kind: str) -> Convert:
    """A link to another resource: its id (`equecabtagene-autoleucel`) or `kind/id`."""

    def convert(value) -> list[Term]:
        return [entity_iri(kind, value)]

    return convert


def refs(kind: str) -> Convert:
    one = ref(kind)

    def convert(value) -> list[Term]:
        items = value if isinstance(value, list) else [value]
        return [term for item in items for term in one(item)]

    return convert


def any_refs(value) -> list[Term]:
    """Links of any kind, each written `kind/id`."""
    items = value if isinstance(value, list) else [value]
    out: list[Term] = []
    for item in items:
        if not isinstance(item, str) or "/" not in item:
            raise ValueError(f"expected a link written kind/id (e.g. product/fucaso), got {item!r}")
        kind, slug = item.split("/", 1)
        if kind not in KIND_SEGMENTS:
            raise ValueError(f"unknown kind {kind!r} in {item!r}; kinds are {', '.join(sorted(KIND_SEGMENTS))}")
        out.append(entity_iri(kind, slug))
    return out


def choice(options: dict[str, URIRef]) -> Convert:
    def convert(value) -> list[Term]:
        if value not in options:
            raise ValueError(f"{value!r} is not one of: {', '.join(options)}")
        return [options[value]]

    return convert


def entity_iri(kind: str, value) -> URIRef:
    if not isinstance(value, str):
        raise ValueError(f"expected an id, got {value!r}")
    if "/" in value:
        given_kind, value = value.split("/", 1)
        if given_kind != kind:
            raise ValueError(f"expected a {kind}, got a link to a {given_kind}")
    if not SLUG.match(value):
        raise ValueError(f"{value!r} is not a valid id: use lower-case letters, digits and single hyphens")
    return ID[f"{kind}/{value}"]


# --- the format: one section per kind of fact ---

STATUS = {
    "approved": CTKG.Approved,
    "under-review": CTKG.UnderReview,
    "rejected": CTKG.Rejected,
    "withdrawn": CTKG.Withdrawn,
}
APPLICATION_TYPE = {
    "BLA": CTKG.BiologicsLicenseApplication,
    "NDA": CTKG.NewDrugApplication,
    "MAA": CTKG.MarketingAuthorisationApplication,
    "indication-extension": CTKG.IndicationExtension,
}
PRODUCT_CLASS = {
    "medicinal-product": CTKG.MedicinalProduct,
    "cell-therapy": CTKG.CellTherapyProduct,
    "car-t": CTKG.CARTCellTherapy,
}
ORGANIZATION_CLASS = {"organization": CTKG.Organization, "cooperation-scheme": CTKG.CooperationScheme}
OUTCOME = {"compliant": CTKG.Compliant, "non-compliant": CTKG.NonCompliant}
DATE_BASIS = {
    "decision": CTKG.DecisionDateBasis,
    "announcement": CTKG.AnnouncementDateBasis,
    "derived": CTKG.DerivedDateBasis,
}
CONFIDENCE = {"verified": CTKG.Verified, "unverified": CTKG.Unverified}


@dataclass(frozen=True)
class Kind:
    section: str  # the YAML key
    segment: str  # the IRI path segment under https://w3id.org/ctkg/id/
    rdf_class: URIRef
    fields: dict[str, tuple[URIRef, Convert]]
    class_field: tuple[str, dict[str, URIRef]] | None = None  # a field that picks a subclass


# Fields every fact may carry.
COMMON: dict[str, tuple[URIRef, Convert]] = {
    "label": (RDFS.label, text),
    "aliases": (SKOS.altLabel, texts),
    "description": (DCTERMS.description, text),
    "note": (CTKG.curationNote, text),
    "evidence": (CTKG.evidence, texts),
    "confidence": (CTKG.confidence, choice(CONFIDENCE)),
    "same_as": (SKOS.exactMatch, url),
}

KINDS: list[Kind] = [
    Kind("jurisdictions", "jurisdiction", CTKG.Jurisdiction, {}),
    Kind("authorities", "authority", CTKG.RegulatoryAuthority, {
        "jurisdiction": (CTKG.jurisdiction, ref("jurisdiction")),
        "website": (SDO.url, url),
    }),
    Kind("companies", "company", CTKG.Company, {"website": (SDO.url, url)}),
    Kind("organizations", "organization", CTKG.Organization, {"website": (SDO.url, url)},
         class_field=("type", ORGANIZATION_CLASS)),
    Kind("people", "person", CTKG.Person, {
        "affiliation": (CTKG.affiliation, any_refs),
        "roles": (CTKG.roleTitle, texts),
    }),
    Kind("antigens", "antigen", CTKG.Antigen, {}),
    Kind("products", "product", CTKG.MedicinalProduct, {
        "inn": (CTKG.inn, text),
        "brand_names": (CTKG.brandName, texts),
        "sponsor": (CTKG.sponsor, refs("company")),
        "target": (CTKG.targetAntigen, refs("antigen")),
    }, class_field=("type", PRODUCT_CLASS)),
    Kind("studies", "study", CTKG.ClinicalStudy, {
        "product": (CTKG.studiedProduct, refs("product")),
        "role": (CTKG.studyRole, text),
    }),
    Kind("pathways", "pathway", CTKG.RegulatoryPathway, {
        "authority": (CTKG.pathwayAuthority, refs("authority")),
        "jurisdiction": (CTKG.jurisdiction, ref("jurisdiction")),
    }),
    Kind("applications", "application", CTKG.RegulatoryApplication, {
        "product": (CTKG.product, ref("product")),
        "regulator": (CTKG.regulator, ref("authority")),
        "applicant": (CTKG.applicant, any_refs),
        "status": (CTKG.status, choice(STATUS)),
        "decision_date": (CTKG.decisionDate, date),
        "date_basis": (CTKG.dateBasis, choice(DATE_BASIS)),
        "announcement_date": (CTKG.announcementDate, date),
        "type": (CTKG.applicationType, choice(APPLICATION_TYPE)),
        "indication": (CTKG.indication, text),
        "pathway": (CTKG.pathway, refs("pathway")),
        "relies_on": (CTKG.reliesOn, refs("application")),
        "supporting_studies": (CTKG.supportingStudy, refs("study")),
        "opinion_by": (CTKG.opinionBy, refs("authority")),
    }),
    Kind("memberships", "membership", CTKG.PICSMembership, {
        "authority": (CTKG.participatingAuthority, ref("authority")),
        "jurisdiction": (CTKG.participatingJurisdiction, ref("jurisdiction")),  # when no authority is named
        "scheme": (CTKG.scheme, ref("organization")),
        "accession_date": (CTKG.accessionDate, date),
    }),
    Kind("accession_steps", "accession-step", CTKG.PICSAccessionStep, {
        "authority": (CTKG.accedingAuthority, refs("authority")),
        "jurisdiction": (CTKG.participatingJurisdiction, ref("jurisdiction")),  # when no authority is named
        "status": (CTKG.accessionStatus, text),
        "status_date": (CTKG.statusDate, date),
    }),
    Kind("inspections", "inspection", CTKG.GMPInspection, {
        "inspecting_authority": (CTKG.inspectingAuthority, ref("authority")),
        "inspected_organization": (CTKG.inspectedOrganization, any_refs),
        "product": (CTKG.inspectedProduct, refs("product")),
        "date": (CTKG.inspectionDate, date),
        "outcome": (CTKG.outcome, choice(OUTCOME)),
        "standard": (CTKG.gmpStandard, text),
    }),
    Kind("claims", "claim", CTKG.Claim, {
        "text": (CTKG.claimText, text),
        "about": (CTKG.about, any_refs),
    }),
]
KIND_BY_SECTION = {k.section: k for k in KINDS}
KIND_SEGMENTS = {k.segment for k in KINDS} | {"source"}

SOURCE_FIELDS: dict[str, tuple[URIRef, Convert]] = {
    "label": (RDFS.label, text),
    "title": (DCTERMS.title, text),
    "publisher": (DCTERMS.publisher, text),
    "published": (DCTERMS.issued, date),
    "accessed": (DCTERMS.date, date),
    "url": (SDO.url, url),
    "description": (DCTERMS.description, text),
    "note": (CTKG.curationNote, text),
}


# --- reading ---


# libyaml's parser when PyYAML was built with it (PyPI's wheels are), for the time large builds spend parsing.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringLoader(_SafeLoader):
    """Every scalar stays a string: dates, numbers and yes/no are read by the converters, not by YAML."""


_StringLoader.yaml_implicit_resolvers = {}


MAX_YAML_DEPTH = 32  # a facts file needs about five levels


class _TooDeep(Exception):
    pass


def _screen_events(text_: str) -> None:
    """Refuse aliases and deep nesting on the parser's events, before anything is composed.

    Aliases (`*name`): facts never need them, and a few hundred bytes of nested aliases (a "billion
    laughs") expand into billions of values once anything walks or prints them. Deep nesting: nothing
    in the format needs it, and walking it recursively would exhaust the stack."""
    depth = 0
    for event in yaml.parse(text_, Loader=_StringLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in facts files",
                                              event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _TooDeep
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


@dataclass
class FactRecord:
    """Where one node of the graph was stated: for error messages and reports."""

    file: Path
    where: str  # e.g. "applications[0] (fucaso-hk-bla)"


@dataclass
class SourceFacts:
    """One facts file read into its named graph."""

    path: Path
    source: URIRef
    graph: Graph
    records: dict[URIRef, FactRecord] = field(default_factory=dict)


def read_yaml(path: Path) -> dict:
    try:
        text_ = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError(path, "", f"cannot read the file ({exc.__class__.__name__}); save it as UTF-8 text") from None
    try:
        _screen_events(text_)
        doc = yaml.load(text_, Loader=_StringLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FactsError(path, "", f"invalid YAML{at}: {problem}; fix the YAML syntax there") from None
    except (_TooDeep, RecursionError):  # (pure-Python PyYAML composes nested collections recursively)
        raise FactsError(path, "", "the YAML nests too deeply; facts need only a few levels") from None
    if not isinstance(doc, dict):
        raise FactsError(path, "", "expected a mapping with a 'source' section and fact sections")
    return doc


def read_facts(path: Path) -> SourceFacts:
    """Read one facts file into a named graph; raises FactsError naming the file and the fact."""
    doc = read_yaml(path)
    unknown = set(doc) - {"source"} - set(KIND_BY_SECTION)
    if unknown:
        raise FactsError(path, "", f"unknown section(s) {sorted(unknown)}; sections are 'source', "
                                   f"{', '.join(repr(s) for s in KIND_BY_SECTION)}")
    source_doc = doc.get("source")
    if not isinstance(source_doc, dict) or "id" not in source_doc:
        raise FactsError(path, "source", "every facts file starts with a 'source' section that has an 'id'")
    try:
        source = entity_iri("source", source_doc["id"])
    except ValueError as exc:
        raise FactsError(path, "source", str(exc)) from None
    graph = Graph(identifier=source)
    facts = SourceFacts(path, source, graph)
    graph.add((source, RDF.type, CTKG.Source))
    facts.records[source] = FactRecord(path, "source")
    _add_fields(facts, source, {k: v for k, v in source_doc.items() if k != "id"}, SOURCE_FIELDS, "source")

    for section, kind in KIND_BY_SECTION.items():
        items = doc.get(section) or []
        if not isinstance(items, list):
            raise FactsError(path, section, f"'{section}' must be a list of facts, each starting with '- id:'")
        for index, item in enumerate(items):
            _add_fact(facts, kind, index, item)
    return facts


def _add_fact(facts: SourceFacts, kind: Kind, index: int, item) -> None:
    where = f"{kind.section}[{index}]"
    if not isinstance(item, dict) or "id" not in item:
        raise FactsError(facts.path, where, "each fact is a mapping that starts with '- id:'")
    where = f"{where} ({item['id']})"
    try:
        node = entity_iri(kind.segment, item["id"])
    except ValueError as exc:
        raise FactsError(facts.path, where, str(exc)) from None
    if node in facts.records:
        first = facts.records[node].where
        raise FactsError(facts.path, where, f"IRI clash: {node} is already stated by {first} in this file; "
                                            "give each fact its own id, or merge the two")
    facts.records[node] = FactRecord(facts.path, where)
    values = {k: v for k, v in item.items() if k != "id"}
    rdf_class = kind.rdf_class
    if kind.class_field:
        name, options = kind.class_field
        if name in values:
            try:
                rdf_class = choice(options)(values.pop(name))[0]
            except ValueError as exc:
                raise FactsError(facts.path, where, f"{name}: {exc}") from None
    cited = values.pop("source_url", None)
    facts.graph.add((node, RDF.type, rdf_class))
    if cited is None:
        facts.graph.add((node, PROV.wasDerivedFrom, facts.source))
    else:
        try:
            (page,) = url(cited)
        except ValueError as exc:
            raise FactsError(facts.path, where, f"source_url: {exc}") from None
        facts.graph.add((node, PROV.wasDerivedFrom, page))
        facts.graph.add((page, RDF.type, CTKG.Source))
        facts.graph.add((page, DCTERMS.isPartOf, facts.source))
    _add_fields(facts, node, values, COMMON | kind.fields, where)


def _add_fields(facts: SourceFacts, node: URIRef, values: dict, table: dict, where: str) -> None:
    for name, value in values.items():
        if name not in table:
            raise FactsError(facts.path, where, f"unknown field {name!r}; allowed: {', '.join(sorted(table))}")
        predicate, convert = table[name]
        if name == "evidence":
            for snippet in value if isinstance(value, list) else [value]:
                if isinstance(snippet, str) and len(snippet) > MAX_EVIDENCE_CHARS:
                    raise FactsError(facts.path, where, f"evidence is {len(snippet)} characters; quote at most "
                                                        f"{MAX_EVIDENCE_CHARS}, a short snippet of the source")
        try:
            objects = convert(value)
        except ValueError as exc:
            raise FactsError(facts.path, where, f"{name}: {exc}") from None
        for obj in objects:
            facts.graph.add((node, predicate, obj))


def facts_files(data_dir: Path) -> list[Path]:
    """Every facts file under `data_dir`, in a stable order."""
    return sorted(p for p in data_dir.rglob("*.yaml") if p.is_file())
