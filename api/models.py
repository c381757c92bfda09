"""The REST API's response models, and how each is read from the rows of `api/queries`.

Every resource is answered with its IRI, its id (the last segment of the IRI) and its label; a link to
another resource is a `Ref` carrying the same three. Lists are `...Public(data, count)` where `count`
is the total number of items, whatever the page.
"""

from pydantic import BaseModel, Field
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SDO, SKOS

from kg.facts import APPLICATION_TYPE, DATE_BASIS, OUTCOME, STATUS
from kg.vocab import CTKG, ID

from .lookups import Row

# The facts files' words for the ontology's individuals, read backwards: ctkg:Approved -> "approved".
WORDS: dict[str, str] = {str(iri): word for table in (STATUS, APPLICATION_TYPE, OUTCOME, DATE_BASIS)
                         for word, iri in table.items()}


def word(iri: str | None) -> str | None:
    """The facts-file word for an individual of the ontology (`approved`, `BLA`), or the IRI itself."""
    return WORDS.get(iri, iri) if iri is not None else None


def split_iri(iri: str) -> tuple[str | None, str | None]:
    """(kind, id) of an instance IRI https://w3id.org/ctkg/id/{kind}/{id}; (None, None) for any other IRI."""
    if iri.startswith(str(ID)):
        kind, _, slug = iri[len(str(ID)):].partition("/")
        if slug:
            return kind, slug
    return None, None


class Ref(BaseModel):
    """A link to a resource: its IRI, and for a resource of this graph its kind, id and label."""

    iri: str
    id: str | None = None
    kind: str | None = None
    label: str | None = None

    @classmethod
    def of(cls, iri: str, label: str | None = None) -> "Ref":
        kind, slug = split_iri(iri)
        return cls(iri=iri, id=slug, kind=kind, label=label)

    @classmethod
    def maybe(cls, row: Row, name: str) -> "Ref | None":
        """The link in column `name` (labelled by column `<name>Label`), or None if unbound."""
        return cls.of(row[name], row.get(f"{name}Label")) if name in row else None


class AuthorityRef(Ref):
    """A link to a regulatory authority, with its jurisdiction."""

    jurisdiction: Ref | None = None

    @classmethod
    def from_row(cls, row: Row, name: str = "regulator") -> "AuthorityRef":
        return cls(**Ref.maybe(row, name).model_dump(), jurisdiction=Ref.maybe(row, "jurisdiction"))


class Statements:
    """What `resource-properties.rq` says about one resource, by property."""

    def __init__(self, rows: list[Row]):
        self.rows = rows

    def values(self, predicate) -> list[str]:
        return [r["value"] for r in self.rows if r["property"] == str(predicate)]

    def first(self, predicate) -> str | None:
        found = self.values(predicate)
        return found[0] if found else None

    def refs(self, predicate) -> list[Ref]:
        return [Ref.of(r["value"], r.get("valueLabel")) for r in self.rows if r["property"] == str(predicate)]

    def has_type(self, rdf_class) -> bool:
        return str(rdf_class) in self.values(RDF.type)

    @property
    def types(self) -> list[Ref]:
        return self.refs(RDF.type)

    @property
    def label(self) -> str | None:
        return self.first(RDFS.label)

    @property
    def aliases(self) -> list[str]:
        return self.values(SKOS.altLabel)

    @property
    def sources(self) -> list[Ref]:
        return self.refs(PROV.wasDerivedFrom)

    @property
    def evidence(self) -> list[str]:
        return self.values(CTKG.evidence)

    @property
    def description(self) -> str | None:
        return self.first(DCTERMS.description)

    @property
    def website(self) -> str | None:
        return self.first(SDO.url)


class Referrers:
    """What `resource-referrers.rq` says links to one resource, by property."""

    def __init__(self, rows: list[Row]):
        self.rows = rows

    def refs(self, predicate) -> list[Ref]:
        return [Ref.of(r["referrer"], r.get("referrerLabel")) for r in self.rows if r["property"] == str(predicate)]


# --- applications ---


class ApplicationSummary(BaseModel):
    """A regulatory application and its decision."""

    iri: str
    id: str | None
    product: Ref
    regulator: AuthorityRef
    status: str = Field(description="approved, under-review, rejected or withdrawn")
    decision_date: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD: as precise as the source")
    application_type: str | None = Field(None, description="BLA, NDA, MAA or indication-extension")

    @classmethod
    def from_row(cls, row: Row) -> "ApplicationSummary":
        return cls(iri=row["application"], id=split_iri(row["application"])[1], product=Ref.maybe(row, "product"),
                   regulator=AuthorityRef.from_row(row), status=word(row["status"]),
                   decision_date=row.get("decisionDate"),
                   application_type=word(row.get("applicationType")))


class ApplicationsPublic(BaseModel):
    data: list[ApplicationSummary]
    count: int


# --- products ---


class ProductSummary(BaseModel):
    iri: str
    id: str | None
    label: str | None
    inn: str | None = Field(None, description="International non-proprietary name")
    application_count: int


class ProductsPublic(BaseModel):
    data: list[ProductSummary]
    count: int


class ProductPublic(BaseModel):
    iri: str
    id: str
    label: str | None
    aliases: list[str]
    inn: str | None
    brand_names: list[str]
    description: str | None
    types: list[Ref]
    sponsors: list[Ref]
    targets: list[Ref] = Field(description="The antigens the product targets")
    applications: list[ApplicationSummary] = Field(description="Every application for the product, decided first")
    sources: list[Ref]
    evidence: list[str]


class Citation(BaseModel):
    """A source that states a decision, and what it quotes."""

    iri: str
    id: str | None
    label: str | None
    quotes: list[str]


class TimelineEntry(BaseModel):
    """One application of a product, with the sources that state it."""

    iri: str
    id: str | None
    regulator: AuthorityRef
    status: str
    decision_date: str | None
    date_basis: str | None = Field(None, description="decision, announcement or derived: what the date is")
    announcement_date: str | None
    application_type: str | None
    cited_by: list[Citation]


class TimelinePublic(BaseModel):
    product: Ref
    data: list[TimelineEntry]
    count: int


# --- authorities ---


class AuthoritySummary(BaseModel):
    iri: str
    id: str | None
    label: str | None
    jurisdiction: Ref | None
    pics_member: bool = Field(description="Whether the graph records a PIC/S membership for the authority")

    @classmethod
    def from_row(cls, row: Row) -> "AuthoritySummary":
        return cls(iri=row["authority"], id=split_iri(row["authority"])[1], label=row.get("label"),
                   jurisdiction=Ref.maybe(row, "jurisdiction"), pics_member=row.get("isPicsMember") == "true")


class AuthoritiesPublic(BaseModel):
    data: list[AuthoritySummary]
    count: int


class MembershipPublic(BaseModel):
    iri: str
    id: str | None
    scheme: Ref | None
    accession_date: str | None


class AuthorityPublic(BaseModel):
    iri: str
    id: str
    label: str | None
    aliases: list[str]
    jurisdiction: Ref | None
    website: str | None
    pics_member: bool
    pics_memberships: list[MembershipPublic]
    decisions: list[ApplicationSummary] = Field(description="The applications the authority decides on")
    sources: list[Ref]


# --- companies ---


class CompanySummary(BaseModel):
    iri: str
    id: str | None
    label: str | None
    product_count: int = Field(description="How many products the company sponsors")


class CompaniesPublic(BaseModel):
    data: list[CompanySummary]
    count: int


class CompanyPublic(BaseModel):
    iri: str
    id: str
    label: str | None
    aliases: list[str]
    website: str | None
    sponsored_products: list[Ref]
    applications_filed: list[Ref]
    inspections: list[Ref] = Field(description="GMP inspections of the company")
    people: list[Ref]
    sources: list[Ref]


# --- inspections ---


class InspectionPublic(BaseModel):
    iri: str
    id: str | None
    inspecting_authority: Ref
    inspected_organization: Ref
    inspected_products: list[Ref]
    date: str | None
    outcome: str | None = Field(None, description="compliant or non-compliant")
    standards: list[str]


class InspectionsPublic(BaseModel):
    data: list[InspectionPublic]
    count: int


# --- sources ---


class SourceSummary(BaseModel):
    iri: str
    id: str | None
    label: str | None
    title: str | None
    publisher: str | None
    issued: str | None
    url: str | None
    triples: int = Field(description="How many triples the source's named graph holds")

    @classmethod
    def from_row(cls, row: Row) -> "SourceSummary":
        return cls(iri=row["source"], id=split_iri(row["source"])[1], label=row.get("label"), title=row.get("title"),
                   publisher=row.get("publisher"), issued=row.get("issued"), url=row.get("url"),
                   triples=int(row["triples"]))


class SourcesPublic(BaseModel):
    data: list[SourceSummary]
    count: int


class ContributedEntity(BaseModel):
    iri: str
    id: str | None
    kind: str | None
    label: str | None
    types: list[Ref]


class ClassCount(BaseModel):
    iri: str
    label: str | None
    entities: int


class SourcePublic(SourceSummary):
    classes: list[ClassCount] = Field(description="How many resources of each class the source states")
    entities: list[ContributedEntity] = Field(description="Every resource the source states")


# --- search, stats, health ---


class SearchHit(BaseModel):
    iri: str
    id: str | None
    kind: str | None
    label: str | None
    matched: str = Field(description="The label or alias that contains the text searched for")


class SearchPublic(BaseModel):
    data: list[SearchHit]
    count: int


class StatsPublic(BaseModel):
    triples: int
    quads: int
    sources: int
    built_at: str
    classes: list[ClassCount] = Field(description="How many resources of each class the graph holds")


class HealthPublic(BaseModel):
    status: str = Field(description="ok; degraded (still 200) when fewer query workers are ready than the pool keeps, "
                                    "one being replaced; unavailable when no graph is built or no worker is ready")
    backend: str = Field("embedded", description="embedded (the store built here) or remote (a SPARQL server "
                                                 "that `ctkg push` loaded)")
    build: str | None = Field(None, description="The build being served")
    built_at: str | None = None
    triples: int | None = None
    workers: int = Field(description="Query worker processes running")
    workers_idle: int = Field(description="Of those, how many are waiting for a query")
    workers_wanted: int | None = Field(None, description="How many query workers the pool keeps")


class Problem(BaseModel):
    """An error: what went wrong, in words meant for the client."""

    detail: str
