"""/authorities: the regulatory authorities, their jurisdiction, PIC/S membership and decisions."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..errors import NotFound
from ..jsonld import document
from ..lookups import boolean, decision_period, one_per_item
from ..models import (
    ApplicationSummary,
    AuthoritiesPublic,
    AuthorityPublic,
    AuthoritySummary,
    MembershipPublic,
    Ref,
    Statements,
    split_iri,
)
from . import JSON_OR_JSONLD, PAGED_RESPONSES, RESPONSES, After, Id, Limit, LookupsDep, Offset, existing, page

PicsMember = Annotated[bool | None, Query(description="true: only authorities recorded as taking part in PIC/S; "
                                                      "false: only the others")]


router = APIRouter(prefix="/authorities", tags=["authorities"])


@router.get("", response_model=AuthoritiesPublic, summary="List the regulatory authorities",
            responses={200: JSON_OR_JSONLD, **PAGED_RESPONSES})
async def list_authorities(request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0,
                           pics_member: PicsMember = None, after: After = None) -> Response:
    window = page(limit, offset, "authority", after)
    found = await lookups.listing("authorities", window, flag=pics_member)
    if found is None:  # no list written by the build: over a remote SPARQL server
        bindings = {} if pics_member is None else {"picsMember": boolean(pics_member)}
        found = await lookups.rows("authorities", bindings, window)
    data = [AuthoritySummary.from_row(r) for r in one_per_item(found.rows, "authority")]
    return document(request, AuthoritiesPublic(data=data, count=found.total))


@router.get("/{id}", response_model=AuthorityPublic,
            summary="One authority: jurisdiction, PIC/S membership and the decisions it made",
            responses={200: JSON_OR_JSONLD, **RESPONSES})
async def get_authority(request: Request, lookups: LookupsDep, id: Id) -> Response:
    authority = existing("authority", id, "authority")
    found = (await lookups.rows("authorities", {"authority": authority})).rows
    if not found:
        raise NotFound(f"No authority has the id {id!r}.")
    summary = AuthoritySummary.from_row(found[0])
    facts = Statements((await lookups.rows("resource-properties", {"resource": authority})).rows)
    memberships = (await lookups.rows("authority-memberships", {"authority": authority})).rows
    decisions = (await lookups.rows("applications", {"regulator": authority, **decision_period(None, None)})).rows
    return document(request, AuthorityPublic(
        iri=authority.value, id=id, label=summary.label, aliases=facts.aliases, jurisdiction=summary.jurisdiction,
        website=facts.website, pics_member=summary.pics_member,
        pics_memberships=[MembershipPublic(iri=m["membership"], id=split_iri(m["membership"])[1],
                                           scheme=Ref.maybe(m, "scheme"), accession_date=m.get("accessionDate"))
                          for m in memberships],
        decisions=[ApplicationSummary.from_row(r) for r in one_per_item(decisions, "application")],
        sources=facts.sources))
