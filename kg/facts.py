"""Facts files: the curated YAML format (see `data/README.md`) and its translation into RDF.

One file is one source. Its facts become triples in a named graph whose IRI is the source's IRI;
every fact node also carries `prov:wasDerivedFrom` its source and a `ctkg:evidence` snippet.
Structural problems (bad YAML, a key given twice, a tag, a character the exports cannot carry, a text
or file over its limit, unknown field, impossible date, bad id) raise `FactsError` here;
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
CASE_TYPE = {
    "first-authorisation": CTKG.FirstAuthorisation,
    "extension": CTKG.AuthorisationExtension,
    "conversion": CTKG.AuthorisationConversion,
}
TYPE_BASIS = {"stated": CTKG.StatedTypeBasis, "derived": CTKG.DerivedTypeBasis}
EVENT_TYPE = {
    "submission": CTKG.Submission,
    "suspension": CTKG.Suspension,
    "renewal": CTKG.Renewal,
    "withdrawal": CTKG.Withdrawal,
    "expiry": CTKG.Expiry,
}


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
        "domain": (CTKG.webDomain, text),  # a website as the source gives it, when no page at it was read
        "pics_participating_unit": (CTKG.picsParticipatingUnit, ref("authority")),
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
        "case": (CTKG.caseType, choice(CASE_TYPE)),
        "type_basis": (CTKG.typeBasis, choice(TYPE_BASIS)),
        "extends": (CTKG.extends, ref("application")),
        "indication": (CTKG.indication, text),
        "pathway": (CTKG.pathway, refs("pathway")),
        "relies_on": (CTKG.reliesOn, refs("application")),
        "supporting_studies": (CTKG.supportingStudy, refs("study")),
        "opinion_by": (CTKG.opinionBy, refs("authority")),
        "opinion_date": (CTKG.opinionDate, date),
    }),
    Kind("events", "event", CTKG.RegulatoryEvent, {
        "of": (CTKG.eventOf, ref("application")),
        "type": (CTKG.eventType, choice(EVENT_TYPE)),
        "authority": (CTKG.eventAuthority, ref("authority")),
        "date": (CTKG.eventDate, date),
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
# Only its events are used: `_document` builds the document from them, every scalar a string, so that dates,
# numbers and yes/no are read by the converters, not by YAML.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Limits far above what a source's facts need, low enough that text pasted by mistake is refused here with a
# message, rather than failing deep in the build. Raise them here (and in data/README.md) if a source needs it.
MAX_FILE_BYTES = 8 * 1024 * 1024  # one facts file
MAX_TEXT_CHARS = 10_000  # one value or key: about three pages; evidence has its own, lower limit
MAX_YAML_DEPTH = 32  # a facts file needs about five levels

# Characters refused in a value. XML 1.0 cannot carry the C0 controls but tab and newline, lone surrogates,
# U+FFFE and U+FFFF, so the RDF/XML export and SPARQL XML results would not be well-formed; a carriage return
# comes back from RDF/XML as a newline. DEL, the C1 controls (mostly Windows-1252 quotes decoded as Latin-1)
# and the other non-characters are never text a source printed.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF)
                                            for plane in range(0, 0x110000, 0x10000))
_REFUSED_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
# In the file itself a carriage return is a line break (YAML reads CR LF as one).
_REFUSED_IN_FILE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")

# Tags that leave a value as it is; any other (`!!int`, `!!binary`, `!!set`...) would make it something else.
_TEXT_TAGS = {None, "!", "tag:yaml.org,2002:str"}
_MAPPING_TAGS = {None, "!", "tag:yaml.org,2002:map"}
_SEQUENCE_TAGS = {None, "!", "tag:yaml.org,2002:seq"}


class _TooDeep(Exception):
    pass


class _Refused(Exception):
    """A value or key refused while reading: the keys and indexes that lead to it, and what is wrong."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path, self.message, self.fact_id = path, message, None


@dataclass
class _Open:
    """A mapping or list being read."""

    value: dict | list
    path: tuple  # the keys and indexes that lead to it
    lines: dict[str, int] = field(default_factory=dict)  # a mapping's keys, with the line of each
    key: str | None = None  # the key whose value comes next


def _document(text_: str, raw: re.Match | None = None):
    """The document, built from the parser's events: mappings, lists and strings, nothing else.

    Refused on the events, before anything is built from them: aliases (`*name`: facts never need them, and a
    few hundred bytes of nested aliases, a "billion laughs", expand into billions of values), deep nesting,
    tags (every value is text, read by the converters), keys that are not text or are given twice (YAML would
    keep the last silently), characters the exports cannot carry, and texts over MAX_TEXT_CHARS. `raw` is a
    character refused in the file, replaced in `text_`: it is reported in the value that holds it."""
    stack: list[_Open] = []
    document, documents = None, 0
    try:
        for event in yaml.parse(text_, Loader=_Parser):
            if isinstance(event, yaml.AliasEvent):
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in facts files",
                                                  event.start_mark)
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise yaml.composer.ComposerError(None, None, "a facts file is one YAML document; remove the "
                                                      "second '---'", event.start_mark)
            if not isinstance(event, yaml.NodeEvent):
                continue
            parent = stack[-1] if stack else None
            if parent is not None and isinstance(parent.value, dict) and parent.key is None:
                _take_key(parent, event, raw)
                continue
            path = () if parent is None else (*parent.path, parent.key if parent.key is not None
                                              else len(parent.value))
            if isinstance(event, yaml.ScalarEvent):
                if event.tag not in _TEXT_TAGS:
                    raise _Refused(path, f"the tag {_short_tag(event.tag)} (line {event.start_mark.line + 1}) is "
                                         "not allowed: every value is read as text; remove the tag")
                _check_text(event.value, path, event, raw)
                value = event.value
            else:
                mapping = isinstance(event, yaml.MappingStartEvent)
                if event.tag not in (_MAPPING_TAGS if mapping else _SEQUENCE_TAGS):
                    raise _Refused(path, f"the tag {_short_tag(event.tag)} (line {event.start_mark.line + 1}) is "
                                         "not allowed: facts are plain mappings, lists and texts; remove the tag")
                if len(stack) >= MAX_YAML_DEPTH:
                    raise _TooDeep
                value = {} if mapping else []
            if parent is None:
                document = value
            elif isinstance(parent.value, dict):
                parent.value[parent.key] = value
                parent.key = None
            else:
                parent.value.append(value)
            if not isinstance(event, yaml.ScalarEvent):
                stack.append(_Open(value, path))
    except _Refused as problem:
        fact = next((o.value for o in stack if o.path == problem.path[:2] and isinstance(o.value, dict)), {})
        fact_id = fact.get("id")
        if isinstance(fact_id, str) and len(fact_id) <= 100 and not _REFUSED_IN_TEXT.search(fact_id):
            problem.fact_id = fact_id
        raise
    return document


def _take_key(mapping: _Open, event: yaml.NodeEvent, raw: re.Match | None) -> None:
    line = event.start_mark.line + 1
    if not isinstance(event, yaml.ScalarEvent) or event.tag not in _TEXT_TAGS:
        raise _Refused(mapping.path, f"the key at line {line} is not a name: write a plain name such as "
                                     "'label:', not a list, a mapping or a tagged value")
    _check_text(event.value, mapping.path, event, raw)
    key = event.value
    if key in mapping.lines:
        first = mapping.lines[key]
        if not mapping.path:
            raise _Refused((key,), f"the section {key!r} is given twice (lines {first} and {line}), and YAML "
                                   "would keep only the last: merge the two into one list")
        raise _Refused((*mapping.path, key), f"given twice (lines {first} and {line}), and YAML would keep only "
                                             "the last: keep one, or make the value a list")
    mapping.lines[key] = line
    mapping.key = key


def _check_text(value: str, path: tuple, event: yaml.ScalarEvent, raw: re.Match | None) -> None:
    line = event.start_mark.line + 1
    if raw is not None and event.start_mark.index <= raw.start() < event.end_mark.index:
        refused, line = raw.group(), raw.string.count("\n", 0, raw.start()) + 1
    else:
        found = _REFUSED_IN_TEXT.search(value)
        refused = found.group() if found else None
    if refused is not None:
        raise _Refused(path, _describe(refused, f"line {line}"))
    if len(value) > MAX_TEXT_CHARS:
        raise _Refused(path, f"the text at line {line} is {len(value):,} characters; a value holds at most "
                             f"{MAX_TEXT_CHARS:,} (MAX_TEXT_CHARS in kg/facts.py): quote or sum up the source")


def _describe(character: str, where: str) -> str:
    """What holds the refused character, why it is refused, and how to fix it."""
    code = f"U+{ord(character):04X}"
    if character == "\r":
        return (f"contains a carriage return ({code}) at {where}, which RDF/XML would turn into a line break: "
                "write a line break as \\n")
    if 0xD800 <= ord(character) <= 0xDFFF:
        kind = "a lone surrogate"
    elif ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F:
        kind = "a control character"
    else:
        kind = "a Unicode non-character"
    return (f"contains {kind} ({code}) at {where}, which is not printed text and which the XML exports cannot "
            "carry: delete it, or type the character meant")


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _where(problem: _Refused) -> tuple[str, str]:
    """The fact (as `_add_fact` names it) and the message with its field, for a refused value."""
    path = problem.path
    if len(path) >= 2 and path[0] != "source" and isinstance(path[1], int):
        fact = f"{path[0]}[{path[1]}]" + (f" ({problem.fact_id})" if problem.fact_id else "")
        rest = path[2:]
    else:
        fact, rest = (str(path[0]) if path else ""), path[1:]
    if not rest:
        return fact, problem.message
    field_ = str(rest[0]) + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest[1:])
    return fact, f"{field_}: {problem.message}"


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
    """A facts file's document: mappings, lists and strings; raises FactsError naming the file, fact and field."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FactsError(path, "", f"the file is {size / 2**20:.1f} MiB; a facts file is at most "
                                       f"{MAX_FILE_BYTES / 2**20:g} MiB (MAX_FILE_BYTES in kg/facts.py): one "
                                       "source's facts are far less, so look for text pasted by mistake")
        text_ = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError(path, "", f"cannot read the file ({exc.__class__.__name__}); save it as UTF-8 text") from None
    try:
        raw = _REFUSED_IN_FILE.search(text_)
        if raw:  # the parser would stop at it, without saying where: find the value that holds it
            _document(_REFUSED_IN_FILE.sub("\ufffd", text_), raw)
            line = text_.count("\n", 0, raw.start()) + 1
            column = raw.start() - (text_.rfind("\n", 0, raw.start()) + 1) + 1
            raise FactsError(path, "", _describe(raw.group(), f"line {line}, column {column} (outside any value)"))
        doc = _document(text_)
    except _Refused as problem:
        raise FactsError(path, *_where(problem)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in problem:  # newer libyaml stops deep nesting itself, before our own check
            raise FactsError(path, "", f"the YAML nests too deeply{at}; facts need only a few levels") from None
        raise FactsError(path, "", f"invalid YAML{at}: {problem}; fix the YAML syntax there") from None
    except _TooDeep:
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


# Drafts of article intake (`ctkg intake`) wait here for review; no build reads them (data/drafts/README.md).
DRAFTS_DIR = "drafts"


def facts_files(data_dir: Path) -> list[Path]:
    """Every facts file under `data_dir`, in a stable order; drafts under `data_dir/drafts/` are not facts yet."""
    drafts = data_dir / DRAFTS_DIR
    return sorted(p for p in data_dir.rglob("*.yaml") if p.is_file() and drafts not in p.parents)
