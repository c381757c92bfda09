"""/inspections: the GMP inspections, by date."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..jsonld import document
from ..models import InspectionPublic, InspectionsPublic, Ref, split_iri, word
from . import JSON_OR_JSONLD, LIST_RESPONSES, Limit, LookupsDep, Offset, page

router = APIRouter(prefix="/inspections", tags=["inspections"])


@router.get("", response_model=InspectionsPublic, summary="List the GMP inspections, by date (undated last)",
            responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
async def list_inspections(request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0) -> Response:
    found = await lookups.rows("inspections", page=page(limit, offset, "inspection"))
    inspections: dict[str, InspectionPublic] = {}
    for r in found.rows:  # one row per inspection, product and standard
        item = inspections.get(r["inspection"])
        if item is None:
            item = inspections[r["inspection"]] = InspectionPublic(
                iri=r["inspection"], id=split_iri(r["inspection"])[1],
                inspecting_authority=Ref.maybe(r, "authority"), inspected_organization=Ref.maybe(r, "organization"),
                inspected_products=[], date=r.get("inspectionDate"), outcome=word(r.get("outcome")), standards=[])
        product = Ref.maybe(r, "product")
        if product is not None and product not in item.inspected_products:
            item.inspected_products.append(product)
        if "standard" in r and r["standard"] not in item.standards:
            item.standards.append(r["standard"])
    return document(request, InspectionsPublic(data=list(inspections.values()), count=found.total))
