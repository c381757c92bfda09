"""/search: resources by label or alias."""

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..jsonld import document
from ..lookups import Lookups
from ..models import SearchHit, SearchPublic, split_iri
from . import JSON_OR_JSONLD, LIST_RESPONSES, Limit, Offset, page

Text = Annotated[str, Query(min_length=1, max_length=200, description="Text to find in labels and aliases; "
                                                                      "case does not matter")]


def router(lookups: Lookups) -> APIRouter:
    api = APIRouter(tags=["search"])

    @api.get("/search", response_model=SearchPublic,
             summary="Find resources whose label or an alias contains a text, ignoring case",
             description="Exact label matches come first, then the others by label.",
             responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
    async def search(request: Request, q: Text, limit: Limit = 50, offset: Offset = 0) -> Response:
        found = await lookups.rows("search", {"text": ox.Literal(q)}, page(limit, offset, "resource"))
        data = []
        for r in found.rows:
            kind, slug = split_iri(r["resource"])
            data.append(SearchHit(iri=r["resource"], id=slug, kind=kind, label=r.get("label"), matched=r["matched"]))
        return document(request, SearchPublic(data=data, count=found.total))

    return api
