"""/applications: every regulatory application, filtered by product, regulator, jurisdiction, status
and decision date."""

from datetime import date
from enum import StrEnum
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator

from kg.facts import STATUS

from ..jsonld import document
from ..lookups import Lookups, decision_period, entity, one_per_item
from ..models import ApplicationsPublic, ApplicationSummary
from . import JSON_OR_JSONLD, LIST_RESPONSES, Limit, Offset, SlugFilter, page

ApplicationStatus = StrEnum("ApplicationStatus", {word: word for word in STATUS})


def _real_date(value: str | None) -> str | None:
    if value is not None and len(value) == 10:
        date.fromisoformat(value)  # ValueError -> 422: 2023-02-30 is no date
    if value is not None and len(value) == 7 and not 1 <= int(value[5:]) <= 12:
        raise ValueError(f"{value} has no month {value[5:]}")
    return value


_DATE_HELP = ("YYYY, YYYY-MM or YYYY-MM-DD. A date given to the month or year stands for the whole period, on "
              "both sides: a decision dated 2023-06 is kept by from=2023-06-15 (June overlaps) and by to=2023-06; "
              "from and to given to the month or year include that whole month or year. Applications with no "
              "decision date are left out when from or to is given.")
_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
FromDate = Annotated[str | None, Query(alias="from", pattern=_DATE, description="Decided on or after. " + _DATE_HELP),
                     AfterValidator(_real_date)]
ToDate = Annotated[str | None, Query(pattern=_DATE, description="Decided on or before. " + _DATE_HELP),
                   AfterValidator(_real_date)]


def router(lookups: Lookups) -> APIRouter:
    api = APIRouter(prefix="/applications", tags=["applications"])

    @api.get("", response_model=ApplicationsPublic, summary="List and filter the regulatory applications",
             responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
    async def list_applications(
        request: Request, limit: Limit = 50, offset: Offset = 0,
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
        found = await lookups.rows("applications", bindings, page(limit, offset, "application"))
        data = [ApplicationSummary.from_row(r) for r in one_per_item(found.rows, "application")]
        return document(request, ApplicationsPublic(data=data, count=found.total))

    return api
