"""/companies: the companies, with the products they sponsor and the applications they filed."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.vocab import CTKG

from ..errors import NotFound
from ..jsonld import document
from ..lookups import one_per_item
from ..models import CompaniesPublic, CompanyPublic, CompanySummary, Referrers, Statements, split_iri
from . import JSON_OR_JSONLD, LIST_RESPONSES, RESPONSES, Id, Limit, LookupsDep, Offset, existing, page

router = APIRouter(prefix="/companies", tags=["companies"])


@router.get("", response_model=CompaniesPublic, summary="List the companies",
            responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
async def list_companies(request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0) -> Response:
    found = await lookups.rows("companies", page=page(limit, offset, "company"))
    data = [CompanySummary(iri=r["company"], id=split_iri(r["company"])[1], label=r.get("label"),
                           product_count=int(r["products"]))
            for r in one_per_item(found.rows, "company")]
    return document(request, CompaniesPublic(data=data, count=found.total))


@router.get("/{id}", response_model=CompanyPublic,
            summary="One company: its products, applications, inspections and people",
            responses={200: JSON_OR_JSONLD, **RESPONSES})
async def get_company(request: Request, lookups: LookupsDep, id: Id) -> Response:
    company = existing("company", id, "company")
    facts = Statements((await lookups.rows("resource-properties", {"resource": company})).rows)
    if not facts.has_type(CTKG.Company):
        raise NotFound(f"No company has the id {id!r}.")
    links = Referrers((await lookups.rows("resource-referrers", {"resource": company})).rows)
    return document(request, CompanyPublic(
        iri=company.value, id=id, label=facts.label, aliases=facts.aliases, website=facts.website,
        sponsored_products=links.refs(CTKG.sponsor), applications_filed=links.refs(CTKG.applicant),
        inspections=links.refs(CTKG.inspectedOrganization), people=links.refs(CTKG.affiliation),
        sources=facts.sources))
