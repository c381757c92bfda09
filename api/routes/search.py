"""/search: resources by label or alias."""

from typing import Annotated, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..jsonld import document
from ..models import SearchHit, SearchPublic, split_iri
from . import JSON_OR_JSONLD, LIST_RESPONSES, Limit, LookupsDep, Offset, page

Text = Annotated[str, Query(min_length=1, max_length=200, description="Text to find in labels and aliases; "
                                                                      "case does not matter")]
Match = Annotated[Literal["exact-first", "contains"], Query(
    description="`exact-first`: the resources with a label or alias equal to the text, if any; otherwise "
                "those whose label or alias contains it. `contains`: always those whose label or alias "
                "contains it (every name is read: slower on a large graph).")]

DESCRIPTION = """\
A name equal to the text is found by an index lookup on a few spellings of it: as typed, in lower case, in
upper case, in title case and with only its first letter capitalized (`fucaso` finds `Fucaso`). When no
label or alias is equal to one of them, the answer is every resource whose label or alias contains the
text, ignoring case (`iaso bio` finds `IASO Bio` and `IASO Biotherapeutics`), which reads every name in the
graph. `match=contains` always answers the second way. Labels equal to the text come first, then the others
by label."""


def spellings(text: str) -> dict[str, ox.Literal]:
    """The bindings of `search-exact.rq`: the spellings of a name a client most likely means."""
    return {"asTyped": ox.Literal(text), "lower": ox.Literal(text.lower()), "upper": ox.Literal(text.upper()),
            "title": ox.Literal(text.title()), "capitalized": ox.Literal(text.capitalize())}


router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchPublic,
            summary="Find resources named by a text, or whose label or an alias contains it, ignoring case",
            description=DESCRIPTION, responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
async def search(request: Request, lookups: LookupsDep, q: Text, limit: Limit = 50, offset: Offset = 0,
                 match: Match = "exact-first") -> Response:
    window = page(limit, offset, "resource")
    found = None
    if match == "exact-first":
        found = await lookups.rows("search-exact", spellings(q), window)
    if found is None or not found.total:
        found = await lookups.search_names(q, window)  # None over a remote SPARQL server
    if found is None:
        found = await lookups.rows("search-contains", {"text": ox.Literal(q)}, window)
    data = []
    for r in found.rows:
        kind, slug = split_iri(r["resource"])
        data.append(SearchHit(iri=r["resource"], id=slug, kind=kind, label=r.get("label"), matched=r["matched"]))
    return document(request, SearchPublic(data=data, count=found.total))
