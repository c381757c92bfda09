"""/landscape: products × jurisdictions, each cell the first approval there (its date as precise as the sources
give it) or, where there is none, the state of the other decisions; as a page or as CSV.

Filters: the product's target antigen, its class, and whether the deciding authority took part in PIC/S on the
decision date (itself or through its participating unit), judged as `approvals-by-pics-participants` judges it:
a participant when the last day the accession date can stand for is on or before the first day the decision
date can stand for; not one when the graph records no membership, or every accession is after the decision; and
otherwise unknown, which either filter leaves out. Unverified facts stay out unless `unverified=true`.

A page holds PAGE_SIZE products by label, continued by `after` (the id of the last product of the page before).
Without filters the page of products comes from the list the build wrote (`kg.listings`); with them, or over a
remote SPARQL server, from `landscape-products.rq`. Each product's decisions are then one bound lookup.
"""

import asyncio
import csv
import io
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from rdflib.namespace import RDFS

from kg.facts import PRODUCT_CLASS, SLUG

from .. import timeline
from ..engine import NOT_LISTED
from ..errors import NotAcceptable, NotFound
from ..formats import negotiate
from ..jobs import Page
from ..lookups import Lookups, Row, boolean, entity
from ..models import split_iri, word
from ..pages import href, render
from . import PAGED_RESPONSES, LookupsDep

PAGE_SIZE = 50  # `landscape-products.rq` asks for one more, to know whether there is a next page
STATUS_ORDER = ("approved", "under-review", "rejected", "withdrawn")
PARTICIPANT, NOT_PARTICIPANT, UNKNOWN = "participant", "not a participant", "unknown"
PICS_FILTER = {"participant": PARTICIPANT, "not-participant": NOT_PARTICIPANT}
CSV_COLUMNS = ("product", "product_iri", "jurisdiction", "jurisdiction_iri", "status", "date", "precision",
               "authority", "authority_iri", "application_iri", "pics_on_decision_date")

router = APIRouter(tags=["landscape"])

Target = Annotated[str | None, Query(pattern=SLUG.pattern, max_length=200,
                                     description="Only products that target this antigen (its id, e.g. `bcma`).")]
ProductClass = Annotated[Literal["medicinal-product", "cell-therapy", "car-t"], Query(
    alias="class", description="Only products of this class (`car-t`, `cell-therapy`; every medicinal product by "
                               "default).")]
Pics = Annotated[Literal["participant", "not-participant", "any"], Query(
    description="Only decisions by an authority that was (`participant`) or was not (`not-participant`) a PIC/S "
                "participant on the decision date; `any` by default. Decisions where that is unknown (no accession "
                "date, or no decision date) are left out by either filter.")]
Unverified = Annotated[bool, Query(description="Include facts marked unverified (left out by default).")]
After = Annotated[str | None, Query(pattern=SLUG.pattern, max_length=200,
                                    description="The id of the last product of the page before.")]
Format = Annotated[Literal["html", "csv"] | None, Query(description="`csv` for the cells as CSV; else by Accept.")]


@dataclass(frozen=True)
class Decision:
    """One application as the landscape weighs it."""

    application: str
    product: str
    jurisdiction: str
    jurisdiction_label: str
    authority: str
    authority_label: str
    status: str
    date: timeline.Period | None
    pics: str  # PARTICIPANT, NOT_PARTICIPANT or UNKNOWN

    @property
    def order(self) -> tuple:
        """Status first (approved before the rest), then dated before undated, then by date."""
        rank = STATUS_ORDER.index(self.status) if self.status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, self.date is None, self.date.start if self.date else None, self.application)


def participation(decided: timeline.Period | None, accessions: list[timeline.Period | None]) -> str:
    """Whether an authority with PIC/S memberships of these accession dates (None: not in the sources) took part
    on a decision date.

    >>> p = timeline.period
    >>> participation(p("2023-06"), [p("2016-01-01")]), participation(p("2023-06"), [])
    ('participant', 'not a participant')
    >>> participation(p("2016"), [p("2016-03-01")]), participation(p("2015"), [p("2016-01")])
    ('unknown', 'not a participant')
    """
    if decided is None:
        return UNKNOWN
    if not accessions:
        return NOT_PARTICIPANT
    if any(a is not None and a.end <= decided.start for a in accessions):
        return PARTICIPANT
    if all(a is not None and a.start > decided.end for a in accessions):
        return NOT_PARTICIPANT
    return UNKNOWN


def decisions(rows: list[Row]) -> list[Decision]:
    """The rows of `landscape-cells.rq` (one per application and membership) as one Decision per application."""
    memberships: dict[str, dict[str, timeline.Period | None]] = {}
    first: dict[str, Row] = {}
    for row in rows:
        first.setdefault(row["application"], row)
        found = memberships.setdefault(row["application"], {})
        if "membership" in row:
            found[row["membership"]] = timeline.period(row.get("accessionDate"))
    out = []
    for application, row in first.items():
        date = timeline.period(row.get("decisionDate"))
        out.append(Decision(
            application=application, product=row["product"], jurisdiction=row["jurisdiction"],
            jurisdiction_label=row.get("jurisdictionLabel") or split_iri(row["jurisdiction"])[1] or "",
            authority=row["authority"], authority_label=row.get("authorityLabel") or "",
            status=word(row["status"]), date=date,
            pics=participation(date, list(memberships[application].values()))))
    return out


def cells(found: list[Decision], pics: str | None = None) -> dict[tuple[str, str], Decision]:
    """(product, jurisdiction) -> the decision its cell shows: the first approval, else the first of the others
    by status (under review, rejected, withdrawn); with `pics`, only decisions of that participation count."""
    chosen: dict[tuple[str, str], Decision] = {}
    for decision in sorted(found, key=lambda d: d.order):
        if pics is not None and decision.pics != pics:
            continue
        chosen.setdefault((decision.product, decision.jurisdiction), decision)
    return chosen


@dataclass(frozen=True)
class ProductRow:
    iri: str
    label: str


async def products_page(lookups: Lookups, product_class: str, target: str | None, after: str | None,
                        ) -> tuple[list[ProductRow], bool]:
    """A page of products by label, and whether more follow."""
    if product_class == "medicinal-product" and target is None:
        window = Page(offset=0, limit=PAGE_SIZE + 1, key="product",
                      after=None if after is None else entity("product", after).value)
        listed = await lookups.listing("products", window)
        if listed is not None:
            products = list({r["product"]: ProductRow(r["product"], r.get("label") or r["product"])
                             for r in listed.rows}.values())
            return products[:PAGE_SIZE], len(products) > PAGE_SIZE
    bindings: dict[str, ox.NamedNode | ox.Literal] = {"productClass": ox.NamedNode(str(PRODUCT_CLASS[product_class]))}
    if target is not None:
        bindings["target"] = entity("antigen", target)
    if after is not None:
        bindings["after"] = ox.Literal(await _key_of(lookups, after))
    rows = (await lookups.rows("landscape-products", bindings)).rows
    products = [ProductRow(r["product"], r.get("productLabel") or r["product"]) for r in rows]
    return products[:PAGE_SIZE], len(products) > PAGE_SIZE


async def _key_of(lookups: Lookups, product: str) -> str:
    """The sort key of a product (`landscape-products.rq`'s ?productKey): its lower-cased label and its IRI."""
    iri = entity("product", product)
    rows = (await lookups.rows("resource-properties", {"resource": iri})).rows
    if not rows:
        raise NotFound(NOT_LISTED)
    label = next((r["value"] for r in rows if r["property"] == str(RDFS.label)), "")
    return f"{label.lower()} {iri.value}"


@router.get("/landscape", summary="Products × jurisdictions: the first approval in each, as a page or CSV",
            responses={200: {"content": {"text/html": {}, "text/csv": {}}}, **PAGED_RESPONSES})
async def landscape(request: Request, lookups: LookupsDep, target: Target = None,
                    product_class: ProductClass = "medicinal-product", pics: Pics = "any",
                    unverified: Unverified = False, after: After = None, format: Format = None) -> Response:
    fmt = format or _negotiated(request)
    bindings_unverified = boolean(unverified)
    (products, more), antigens = await asyncio.gather(products_page(lookups, product_class, target, after),
                                                      lookups.rows("landscape-antigens"))
    answers = await asyncio.gather(*(
        lookups.rows("landscape-cells", {"product": ox.NamedNode(p.iri), "includeUnverified": bindings_unverified})
        for p in products))
    found = [d for answer in answers for d in decisions(answer.rows)]
    chosen = cells(found, PICS_FILTER.get(pics))
    if fmt == "csv":
        return Response(_csv(products, chosen), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="ctkg-landscape.csv"'})
    jurisdictions = sorted({(d.jurisdiction_label, d.jurisdiction) for d in chosen.values()})
    query = {k: v for k, v in (("target", target), ("class", product_class), ("pics", pics),
                               ("unverified", "true" if unverified else None)) if v and v not in ("any",)}
    if query.get("class") == "medicinal-product":
        del query["class"]
    base = str(request.url_for("landscape"))
    return render(
        request, "landscape.html", title="Landscape",
        products=[{"label": p.label, "href": href(request, p.iri),
                   "cells": [_shown(request, chosen.get((p.iri, j))) for _, j in jurisdictions]} for p in products],
        jurisdictions=[{"label": label, "href": href(request, j)} for label, j in jurisdictions],
        antigens=[{"id": split_iri(r["antigen"])[1], "label": r.get("label") or r["antigen"]} for r in antigens.rows],
        classes=[("medicinal-product", "every medicinal product"), ("cell-therapy", "cell therapy"),
                 ("car-t", "CAR-T cell therapy")],
        chosen={"target": target, "class": product_class, "pics": pics, "unverified": unverified},
        csv_href=_with(base, {**query, **({"after": after} if after else {}), "format": "csv"}),
        next_href=_with(base, {**query, "after": split_iri(products[-1].iri)[1]}) if more and products else None,
        first_href=_with(base, query) if after else None, statuses=list(timeline.STATUS_TEXT.items()))


def _negotiated(request: Request) -> str:
    """"html" or "csv", by Accept: a page unless the client asks for CSV and not for a page."""
    accept = request.headers.get("accept") or "text/html"
    if negotiate(accept, ["page"], []) is not None:
        return "html"
    table = negotiate(accept, ["solutions"], [])
    if table is not None and table.name == "csv":
        return "csv"
    raise NotAcceptable("The landscape is available as text/html and text/csv.")


def _with(base: str, query: dict[str, str]) -> str:
    return base + ("?" + urlencode(query) if query else "")


def _shown(request: Request, decision: Decision | None) -> dict | None:
    if decision is None:
        return None
    return {"status": decision.status, "status_text": timeline.STATUS_TEXT.get(decision.status, decision.status),
            "date": decision.date.compact if decision.date else "undated",
            "date_label": decision.date.label if decision.date else "no date in the sources",
            "precision": decision.date.precision if decision.date else "none",
            "href": href(request, decision.application), "authority": decision.authority_label,
            "pics": decision.pics}


def _csv(products: list[ProductRow], chosen: dict[tuple[str, str], Decision]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    labels = {p.iri: p.label for p in products}
    for (product, _), d in sorted(chosen.items(), key=lambda item: (labels[item[0][0]].lower(), item[0][0],
                                                                     item[1].jurisdiction_label)):
        writer.writerow((labels[product], product, d.jurisdiction_label, d.jurisdiction, d.status,
                         d.date.text if d.date else "", d.date.precision if d.date else "", d.authority_label,
                         d.authority, d.application, d.pics))
    return out.getvalue()

