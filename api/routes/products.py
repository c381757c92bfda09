"""/products: the medicinal products, each with its applications and their timeline."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.vocab import CTKG

from ..errors import NotFound
from ..jsonld import document
from ..lookups import decision_period, one_per_item
from ..models import (
    ApplicationSummary,
    AuthorityRef,
    Citation,
    ProductPublic,
    ProductsPublic,
    ProductSummary,
    Ref,
    Statements,
    TimelineEntry,
    TimelinePublic,
    split_iri,
    word,
)
from . import JSON_OR_JSONLD, PAGED_RESPONSES, RESPONSES, After, Id, Limit, LookupsDep, Offset, existing, page

router = APIRouter(prefix="/products", tags=["products"])


@router.get("", response_model=ProductsPublic, summary="List the medicinal products",
            responses={200: JSON_OR_JSONLD, **PAGED_RESPONSES})
async def list_products(request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0,
                        after: After = None) -> Response:
    window = page(limit, offset, "product", after)
    found = await lookups.listing("products", window)
    if found is None:  # no list written by the build: over a remote SPARQL server
        found = await lookups.rows("products", page=window)
    data = [ProductSummary(iri=r["product"], id=split_iri(r["product"])[1], label=r.get("label"),
                           inn=r.get("inn"), application_count=int(r["applications"]))
            for r in one_per_item(found.rows, "product")]
    return document(request, ProductsPublic(data=data, count=found.total))


@router.get("/{id}", response_model=ProductPublic, summary="One product: names, sponsor, target, applications",
            responses={200: JSON_OR_JSONLD, **RESPONSES})
async def get_product(request: Request, lookups: LookupsDep, id: Id) -> Response:
    product = existing("product", id, "product")
    facts = Statements((await lookups.rows("resource-properties", {"resource": product})).rows)
    if not facts.has_type(CTKG.MedicinalProduct):
        raise NotFound(f"No product has the id {id!r}.")
    applications = await lookups.rows("applications", {"product": product, **decision_period(None, None)})
    return document(request, ProductPublic(
        iri=product.value, id=id, label=facts.label, aliases=facts.aliases, inn=facts.first(CTKG.inn),
        brand_names=facts.values(CTKG.brandName), description=facts.description,
        types=facts.types, sponsors=facts.refs(CTKG.sponsor), targets=facts.refs(CTKG.targetAntigen),
        applications=[ApplicationSummary.from_row(r) for r in one_per_item(applications.rows, "application")],
        sources=facts.sources, evidence=facts.evidence))


@router.get("/{id}/timeline", response_model=TimelinePublic,
            summary="One product's decisions in date order, with the sources that state each",
            description="Decided applications first, by decision date; a date known to the month sorts "
                        "before the days of that month. Applications with no decision date come last.",
            responses={200: JSON_OR_JSONLD, **RESPONSES})
async def product_timeline(request: Request, lookups: LookupsDep, id: Id) -> Response:
    product = existing("product", id, "product")
    found = (await lookups.rows("products", {"product": product})).rows
    if not found:
        raise NotFound(f"No product has the id {id!r}.")
    entries: dict[str, TimelineEntry] = {}
    citations: dict[tuple[str, str], Citation] = {}
    for r in (await lookups.rows("product-timeline", {"product": product})).rows:
        application = r["application"]
        if application not in entries:
            entries[application] = TimelineEntry(
                iri=application, id=split_iri(application)[1], regulator=AuthorityRef.from_row(r),
                status=word(r["status"]),
                decision_date=r.get("decisionDate"), date_basis=word(r.get("dateBasis")),
                announcement_date=r.get("announcementDate"), application_type=word(r.get("applicationType")),
                cited_by=[])
        key = (application, r["source"])
        if key not in citations:
            citations[key] = Citation(iri=r["source"], id=split_iri(r["source"])[1], label=r.get("sourceLabel"),
                                      quotes=[])
            entries[application].cited_by.append(citations[key])
        if "evidence" in r:
            citations[key].quotes.append(r["evidence"])
    data = list(entries.values())
    return document(request, TimelinePublic(product=Ref.of(product.value, found[0].get("label")), data=data,
                                             count=len(data)))
