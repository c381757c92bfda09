"""/applications: every regulatory application, filtered by product, regulator, jurisdiction, status
and decision date."""

from enum import StrEnum
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kg.facts import STATUS

from ..jsonld import document
from ..lookups import decision_period, entity, one_per_item
from ..models import ApplicationsPublic, ApplicationSummary
from . import JSON_OR_JSONLD, PAGED_RESPONSES, After, Limit, LookupsDep, Offset, SlugFilter, page

ApplicationStatus = StrEnum("ApplicationStatus", {word: word for word in STATUS})


# YYYY, YYYY-MM or a real calendar date YYYY-MM-DD (29 February in leap years only): the description says
# exactly which values are accepted, so none that it allows is refused.
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = rf"^(?:[0-9]{{4}}(?:-{_MONTH})?|[0-9]{{4}}-{_DAY}|{_LEAP_YEAR}-02-29)$"
_DATE_HELP = ("YYYY, YYYY-MM or YYYY-MM-DD. A date given to the month or year stands for the whole period, on "
              "both sides: a decision dated 2023-06 is kept by from=2023-06-15 (June overlaps) and by to=2023-06; "
              "from and to given to the month or year include that whole month or year. Applications with no "
              "decision date are left out when from or to is given.")
FromDate = Annotated[str | None, Query(alias="from", pattern=_DATE, description="Decided on or after. " + _DATE_HELP)]
ToDate = Annotated[str | None, Query(pattern=_DATE, description="Decided on or before. " + _DATE_HELP)]


router = APIRouter(prefix="/applications", tags=["applications"])


@router.get("", response_model=ApplicationsPublic, summary="List and filter the regulatory applications",
            responses={200: JSON_OR_JSONLD, **PAGED_RESPONSES})
async def list_applications(
    request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0, after: After = None,
    product: SlugFilter = None, regulator: SlugFilter = None, jurisdiction: SlugFilter = None,
    status: Annotated[ApplicationStatus | None, Query(description="The application's status")] = None,
    from_: FromDate = None,
    to: ToDate = None,
) -> Response:
    bindings: dict[str, ox.NamedNode | ox.Literal] = decision_period(from_, to)
    for name, kind, value in (("product", "product", product), ("regulator", "authority", regulator),
                              ("jurisdiction", "jurisdiction", jurisdiction)):
        if value is not None:
            bindings[name] = entity(kind, value)
    if status is not None:
        bindings["status"] = ox.NamedNode(str(STATUS[status.value]))
    window = page(limit, offset, "application", after)
    found = None
    if (product, regulator, jurisdiction, status, from_, to) == (None,) * 6:
        found = await lookups.listing("applications", window)  # None over a remote SPARQL server
    if found is None:
        found = await lookups.rows("applications", bindings, window)
    data = [ApplicationSummary.from_row(r) for r in one_per_item(found.rows, "application")]
    return document(request, ApplicationsPublic(data=data, count=found.total))
