"""/sources: the sources the graph is built from, each a named graph, and what each contributed."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import NotFound
from ..jsonld import document
from ..lookups import one_per_item
from ..models import (
    ClassCount,
    ContributedEntity,
    Ref,
    SourcePublic,
    SourcesPublic,
    SourceSummary,
    split_iri,
)
from . import JSON_OR_JSONLD, LIST_RESPONSES, RESPONSES, Id, Limit, LookupsDep, Offset, existing, page

router = APIRouter(prefix="/sources", tags=["sources"])


@router.get("", response_model=SourcesPublic, summary="List the sources (one named graph each)",
            responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
async def list_sources(request: Request, lookups: LookupsDep, limit: Limit = 50, offset: Offset = 0) -> Response:
    found = await lookups.rows("sources", page=page(limit, offset, "source"))
    data = [SourceSummary.from_row(r) for r in one_per_item(found.rows, "source")]
    return document(request, SourcesPublic(data=data, count=found.total))


@router.get("/{id}", response_model=SourcePublic, summary="One source and everything it contributed",
            responses={200: JSON_OR_JSONLD, **RESPONSES})
async def get_source(request: Request, lookups: LookupsDep, id: Id) -> Response:
    source = existing("source", id, "source")
    found = (await lookups.rows("sources", {"source": source})).rows
    if not found:
        raise NotFound(f"No source has the id {id!r}.")
    entities: dict[str, ContributedEntity] = {}
    classes: dict[str, ClassCount] = {}
    for r in (await lookups.rows("source-contributions", {"source": source})).rows:
        kind, slug = split_iri(r["entity"])
        item = entities.setdefault(r["entity"], ContributedEntity(iri=r["entity"], id=slug, kind=kind,
                                                                  label=r.get("label"), types=[]))
        item.types.append(Ref.of(r["class"], r.get("classLabel")))
        count = classes.setdefault(r["class"], ClassCount(iri=r["class"], label=r.get("classLabel"), entities=0))
        count.entities += 1
    summary = SourceSummary.from_row(found[0])
    return document(request, SourcePublic(
        **summary.model_dump(), entities=list(entities.values()),
        classes=sorted(classes.values(), key=lambda c: (-c.entities, c.iri))))
