"""What's new in the graph: /changes?since=YYYY-MM-DD as JSON (or a page, for a browser) and /changes.atom, an
Atom feed an analyst can follow in a feed reader.

Two kinds of entry, newest first:
- a decision, by its decision date, kept as precise as the sources give it (a month stays a month); one
  marked unverified only when asked for (`unverified=true`), as in the competency questions;
- a source's facts, by the date the source was read (its `accessed`, `dcterms:date`): the graph records no
  other date of a source's arrival (`published` is when the source itself appeared, and a build's time is when
  the whole graph was last rebuilt). A source with no such date is counted apart, never given one.

An entry's dates are calendar dates of a given precision, while Atom's `updated` must be a timestamp: each
entry's `updated` is the time of the build that holds it (when the graph last said so), and the date of
the decision or of the reading is in its title and content, with its precision.
"""

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from feedgen.feed import FeedGenerator
from pydantic import BaseModel, Field

from .. import timeline
from ..errors import NotAcceptable
from ..formats import negotiate
from ..lookups import Lookups, Row, boolean, one_per_item
from ..models import Ref, split_iri, word
from ..pages import href, render
from . import LIST_RESPONSES, LookupsDep, page

DEFAULT_DAYS = 365  # without `since`, the last year
MAX_ENTRIES = 1000
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

router = APIRouter(tags=["changes"])

Since = Annotated[str | None, Query(pattern=DATE, description="YYYY-MM-DD: entries dated on or after this day (a "
                                                              "date given to the month or year counts when its "
                                                              "period reaches it). A year ago by default.")]
Limit = Annotated[int, Query(ge=1, le=MAX_ENTRIES, description="At most this many entries, newest first.")]
Unverified = Annotated[bool, Query(description="Include decisions marked unverified (left out by default, as the "
                                               "competency questions leave them out).")]


class ChangePublic(BaseModel):
    kind: str = Field(description="`decision` (by decision date) or `source` (its facts, by the date it was read)")
    date: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD: as precise as the graph has it")
    precision: str = Field(description="day, month or year")
    date_label: str = Field(description="the date in words, its precision said: 'June 2023 (month)'")
    title: str
    iri: str = Field(description="the application, or the source")
    page: str | None = Field(description="its page here")
    status: str | None = None
    product: Ref | None = None
    regulator: Ref | None = None
    jurisdiction: Ref | None = None
    facts: int | None = Field(None, description="for a source: how many facts it states")
    unverified: bool = False


class ChangesPublic(BaseModel):
    since: str
    built_at: str = Field(description="when the graph being served was built")
    data: list[ChangePublic]
    count: int = Field(description="entries on or after `since`, before `limit`")
    undated_sources: int = Field(description="sources the graph holds with no date of reading, left out")


@dataclass(frozen=True)
class Dated:
    change: ChangePublic
    period: timeline.Period


def _decision(request: Request, row: Row) -> Dated:
    date = timeline.period(row["decisionDate"])
    status = word(row["status"])
    product, regulator = Ref.maybe(row, "product"), Ref.maybe(row, "regulator")
    where = row.get("jurisdictionLabel") or regulator.label or regulator.iri
    title = (f"{timeline.STATUS_TEXT.get(status, status)}: {product.label or product.iri} in {where} "
             f"({date.label})")
    return Dated(ChangePublic(
        kind="decision", date=date.text, precision=date.precision, date_label=date.label, title=title,
        iri=row["application"], page=href(request, row["application"]), status=status, product=product,
        regulator=regulator, jurisdiction=Ref.maybe(row, "jurisdiction"),
        unverified=row.get("unverified") == "true"), date)


def _source(request: Request, row: Row, facts: int) -> Dated:
    date = timeline.period(row["read"])
    label = row.get("label") or split_iri(row["source"])[1] or row["source"]
    return Dated(ChangePublic(
        kind="source", date=date.text, precision=date.precision, date_label=date.label,
        title=f"Source read {date.label}: {label}, {_facts(facts)}", iri=row["source"],
        page=href(request, row["source"]), facts=facts), date)


async def _changes(request: Request, lookups: Lookups, since: str | None, limit: int,
                   unverified: bool) -> ChangesPublic:
    since = since or (dt.date.today() - dt.timedelta(days=DEFAULT_DAYS)).isoformat()
    bound = {"since": ox.Literal(since)}
    # Each query gives its newest `limit` entries and counts the rest; the newest `limit` of both are among them.
    (_, manifest), decided, read, undated = await asyncio.gather(
        lookups.manifest(),
        lookups.rows("changes-decisions", {**bound, "includeUnverified": boolean(unverified)},
                     page=page(limit, 0, "application")),
        lookups.rows("changes-sources", bound, page=page(limit, 0, "source")),
        lookups.rows("undated-sources"))
    # What the entries show is asked of the page's applications and sources alone.
    decisions, sources = one_per_item(decided.rows, "application"), one_per_item(read.rows, "source")
    summaries, counted = await asyncio.gather(
        _each(lookups, "application-summaries", "application", decisions),
        _each(lookups, "source-fact-counts", "source", sources))
    summary = {r["application"]: r for r in summaries}
    facts = {r["source"]: int(r["facts"]) for r in counted}
    entries = [_decision(request, {**summary[r["application"]], **r}) for r in decisions if r["application"] in summary]
    entries += [_source(request, r, facts.get(r["source"], 0)) for r in sources]
    # Newest first by the last day a date can stand for, then the more precise first: the queries' order.
    entries.sort(key=lambda e: (e.period.end, e.period.start, e.change.iri), reverse=True)
    return ChangesPublic(since=since, built_at=manifest["built_at"], data=[e.change for e in entries[:limit]],
                         count=decided.total + read.total, undated_sources=len(undated.rows))


async def _each(lookups: Lookups, query: str, key: str, rows: list[Row]) -> list[Row]:
    """The rows of `query` for the IRIs of `key` in `rows`, the first for each; none (and no query) for no rows."""
    if not rows:
        return []
    found = await lookups.rows(query, each=(key, [ox.NamedNode(row[key]) for row in rows]))
    return one_per_item(found.rows, key)


@router.get("/changes", response_model=ChangesPublic, summary="What's new: decisions and sources since a day",
            description="Decisions by their decision date (as precise as the sources give it) and sources by the "
                        "date they were read, newest first; JSON, or a page for a browser. Also as an Atom feed, "
                        "`/changes.atom`.",
            responses={200: {"content": {"application/json": {}, "text/html": {}}}, **LIST_RESPONSES})
async def changes(request: Request, lookups: LookupsDep, since: Since = None, limit: Limit = 200,
                  unverified: Unverified = False) -> Response:
    fmt = negotiate(request.headers.get("accept"), ["record", "page"], request.query_params.getlist("format"))
    if fmt is None:
        raise NotAcceptable("What's new is available as application/json, text/html and, at /changes.atom, "
                            "application/atom+xml.")
    found = await _changes(request, lookups, since, limit, unverified)
    if fmt.kind == "page":
        return render(request, "changes.html", title="What's new", found=found)
    return JSONResponse(found.model_dump(mode="json"), headers={"Vary": "Accept"})


@router.get("/changes.atom", summary="What's new, as an Atom feed",
            responses={200: {"content": {"application/atom+xml": {}}}, **LIST_RESPONSES})
async def changes_feed(request: Request, lookups: LookupsDep, since: Since = None, limit: Limit = 200,
                       unverified: Unverified = False) -> Response:
    found = await _changes(request, lookups, since, limit, unverified)
    built = dt.datetime.fromisoformat(found.built_at.replace("Z", "+00:00"))
    own = str(request.url_for("changes_feed"))
    feed = FeedGenerator()
    feed.id(own)
    feed.title("CTKG: what's new")
    feed.subtitle(f"Decisions by decision date and sources by the date they were read, since {found.since}.")
    feed.author({"name": "CTKG"})
    feed.link(href=own, rel="self", type="application/atom+xml")
    feed.link(href=str(request.url_for("changes")), rel="alternate", type="text/html")
    feed.updated(built)
    for change in found.data:
        entry = feed.add_entry(order="append")
        entry.id(f"{change.iri}#{change.kind}-{change.date}")
        entry.title(change.title)
        entry.updated(built)
        if change.page:
            entry.link(href=change.page, rel="alternate", type="text/html")
        entry.content(_content(change), type="text")
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")


def _content(change: ChangePublic) -> str:
    if change.kind == "source":
        return (f"{_facts(change.facts)} from this source are in the graph. It was read {change.date_label}; "
                "the graph records no other date of its arrival.")
    parts = [f"Decision date: {change.date_label}.", f"Status: {change.status}."]
    if change.regulator:
        parts.append(f"Authority: {change.regulator.label or change.regulator.iri}.")
    if change.unverified:
        parts.append("Marked unverified in its source.")
    return " ".join(parts)


def _facts(count: int) -> str:
    return f"{count} fact" if count == 1 else f"{count} facts"
