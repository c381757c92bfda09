"""One router per resource, and what they share: the parameters of lists and ids, the error answers, and
their dependencies (`LookupsDep`, `SettingsDep`), which hand each route what the app was built with
(`api.app.create_app` keeps them in `app.state`)."""

from typing import Annotated

import pyoxigraph as ox
from fastapi import Depends, Path, Query, Request

from kg.facts import SLUG

from ..errors import NotFound
from ..jobs import Page
from ..lookups import Lookups, entity
from ..models import Problem
from ..settings import Settings

MAX_PAGE = 1000


def _lookups(request: Request) -> Lookups:
    return request.app.state.lookups


def _settings(request: Request) -> Settings:
    return request.app.state.settings


LookupsDep = Annotated[Lookups, Depends(_lookups)]
SettingsDep = Annotated[Settings, Depends(_settings)]

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"How many items to return (at most {MAX_PAGE}).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="How many items to skip.")]
After = Annotated[str | None, Query(
    pattern=SLUG.pattern, max_length=200,
    description="The id of the last item of the page before: this page starts after it (keyset paging, as fast "
                "on the last page as on the first; `offset` then skips items from there). 404 when no item of "
                "the list has that id.")]
Id = Annotated[str, Path(description="The resource's id: the last segment of its IRI.", max_length=200)]
SlugFilter = Annotated[str | None, Query(pattern=SLUG.pattern, max_length=200, description="An id, e.g. `nmpa`.")]

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}
RESPONSES: dict = {
    404: {"model": Problem, "description": "No resource has that id"},
    406: {"model": Problem, "description": "The Accept header names no format this resource is available in"},
    429: {"model": Problem, "description": "Too many requests in progress from this client", "headers": RETRY_AFTER},
    503: {"model": Problem, "description": "The query ran past its time limit, or the graph is not available",
          "headers": RETRY_AFTER},
}
LIST_RESPONSES = {k: v for k, v in RESPONSES.items() if k != 404}
PAGED_RESPONSES = {404: {"model": Problem, "description": "No item of the list has the id given as `after`"},
                   **LIST_RESPONSES}
JSON_OR_JSONLD = {"content": {"application/json": {}, "application/ld+json": {}}}


def page(limit: int, offset: int, key: str, after: str | None = None) -> Page:
    """The window of a list whose items are named by the variable `key`, of the kind of the same name."""
    return Page(offset=offset, limit=limit, key=key, after=None if after is None else entity(key, after).value)


def existing(kind: str, slug: str, what: str) -> ox.NamedNode:
    """The IRI for an id, or NotFound when the id cannot name a resource at all."""
    if not SLUG.match(slug):
        raise NotFound(f"No {what} has the id {slug[:100]!r}.")
    return entity(kind, slug)
