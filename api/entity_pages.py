"""The entity pages of products, authorities and companies: what each shows, read from the graph with the
API's own queries (`api/queries`), ready for its template.

- a product: its names, sponsor and target, the sources that state it with their evidence, a timeline of its
  decisions by jurisdiction (`api.timeline`) and every decision with its sources and evidence;
- an authority: its PIC/S participation (itself or through its participating unit) with the accession date,
  its decisions newest first, and the GMP inspections it made;
- a company: the products it sponsors or applied for, and the GMP inspections of it.

Each function returns the template's values, or None when the resource is not of that kind (the caller then
shows the generic page).
"""

import asyncio
from dataclasses import dataclass, field

from fastapi import Request
from markupsafe import Markup
from rdflib.namespace import DCTERMS, RDF, RDFS, SDO, SKOS

from kg.vocab import CTKG, prefixed

from . import timeline
from .lookups import Lookups, Row, entity
from .models import Statements, word
from .pages import href

STATUSES = list(timeline.STATUS_TEXT.items())
NEWEST = 100  # decisions an authority's page lists; the rest are in its JSON record


@dataclass(frozen=True)
class Shown:
    """A value as a page shows it: its text, and where it links to (if anywhere)."""

    text: str
    href: str | None = None


@dataclass
class Cited:
    """A source that states a fact, and what it quotes for it (for a decision, with the date it gives)."""

    ref: Shown
    url: str | None = None
    quotes: list[str] = field(default_factory=list)
    date: str | None = None


def _ref(request: Request, iri: str | None, label: str | None) -> Shown | None:
    if iri is None:
        return None
    return Shown(label or prefixed(iri, skip=("id",)), href(request, iri))


def _cited(request: Request, rows: list[Row]) -> list[Cited]:
    """The sources of `fact-sources.rq` or `decisions.rq` rows, each once, with their quotes in order."""
    found: dict[str, Cited] = {}
    for row in rows:
        source = row.get("source")
        if source is None:  # a query that does not give the sources
            continue
        if source not in found:
            stated = timeline.period(row.get("statedDate"))
            found[source] = Cited(_ref(request, source, row.get("sourceLabel")), row.get("sourceUrl"),
                                  date=stated.label if stated else None)
        if "evidence" in row and row["evidence"] not in found[source].quotes:
            found[source].quotes.append(row["evidence"])
    return list(found.values())


def _fact_rows(request: Request, facts: Statements, rows: list[tuple[str, object]]) -> list[dict]:
    """The table of what a resource is: (name, predicate) pairs, each with its values, those with none left out."""
    table = []
    for name, predicate in rows:
        values = [_ref(request, r["value"], r.get("valueLabel")) if _is_iri(r["value"]) else Shown(r["value"])
                  for r in facts.rows if r["property"] == str(predicate)]
        if values:
            table.append({"name": name, "values": values})
    return table


def _is_iri(value: str) -> bool:
    return value.startswith(("http://", "https://"))


@dataclass
class DecisionShown:
    """One application and its decision, as the product and authority pages list it."""

    key: str
    anchor: str
    application: Shown
    product: Shown | None
    jurisdiction: Shown | None
    authority: Shown | None
    status: str
    status_text: str
    date: str
    precision: str
    period: timeline.Period | None
    stated: tuple[timeline.Period, ...]
    kind: str | None
    date_basis: str | None
    unverified: bool
    relies_on: Shown | None = None
    relies_on_key: str | None = None
    cited: list[Cited] = field(default_factory=list)


def decisions(request: Request, rows: list[Row]) -> list[DecisionShown]:
    """The rows of `decisions.rq` by application, in the order of the rows, each with its sources."""
    found: dict[str, DecisionShown] = {}
    rows_of: dict[str, list[Row]] = {}
    for row in rows:
        key = row["application"]
        rows_of.setdefault(key, []).append(row)
        if key in found:
            continue
        status = word(row["status"])
        date = timeline.period(row.get("decisionDate"))
        found[key] = DecisionShown(
            key=key, anchor="decision-" + _slug(key), application=Shown(_slug(key), href(request, key)),
            product=_ref(request, row["product"], row.get("productLabel")),
            jurisdiction=_ref(request, row.get("jurisdiction"), row.get("jurisdictionLabel")),
            authority=_ref(request, row["regulator"], row.get("regulatorLabel")),
            status=status, status_text=timeline.STATUS_TEXT.get(status, status),
            date=date.label if date else "no date in the sources", precision=date.precision if date else "none",
            period=date, stated=(), kind=word(row.get("applicationType")), date_basis=word(row.get("dateBasis")),
            unverified=row.get("unverified") == "true", relies_on_key=row.get("reliesOn"))
    for key, decision in found.items():
        decision.cited = _cited(request, rows_of[key])
        decision.stated = tuple({r["statedDate"]: timeline.period(r["statedDate"])
                                 for r in rows_of[key] if "statedDate" in r}.values())
        if len(decision.stated) > 1:  # the sources give it at different precisions: say each
            decision.date = " / ".join(p.label for p in timeline.Decision(
                key, "", "", decision.status, decision.period, stated=decision.stated).periods)
        if decision.relies_on_key:
            relied = found.get(decision.relies_on_key)
            text = f"{relied.authority.text}, {relied.date}" if relied and relied.authority else None
            decision.relies_on = Shown(text or _slug(decision.relies_on_key), href(request, decision.relies_on_key))
    return list(found.values())


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _inspections(request: Request, rows: list[Row]) -> list[dict]:
    seen: dict[tuple[str, str | None], dict] = {}
    for r in rows:
        key = (r["inspection"], r.get("product"))
        if key not in seen:
            seen[key] = {"date": r.get("inspectionDate"), "outcome": word(r.get("outcome")),
                         "standard": r.get("standard"),
                         "authority": _ref(request, r["authority"], r.get("authorityLabel")),
                         "organization": _ref(request, r["organization"], r.get("organizationLabel")),
                         "product": _ref(request, r.get("product"), r.get("productLabel"))}
    return list(seen.values())


NAMES = [("Name", RDFS.label), ("Other names", SKOS.altLabel)]


async def product_page(request: Request, lookups: Lookups, slug: str, facts: Statements) -> dict | None:
    if not facts.has_type(CTKG.MedicinalProduct):
        return None
    product = entity("product", slug)
    found, cited, inspections = await asyncio.gather(
        lookups.rows("decisions", {"product": product}),
        lookups.rows("fact-sources", {"fact": product}),
        lookups.rows("product-inspections", {"product": product}))
    shown = decisions(request, found.rows)
    by_key = {d.key: d for d in shown}
    line = timeline.timeline([timeline.Decision(
        key=d.key, jurisdiction=d.jurisdiction.text if d.jurisdiction else "jurisdiction not in the sources",
        authority=d.authority.text if d.authority else "", status=d.status, date=d.period,
        relies_on=d.relies_on_key, kind=d.kind, stated=d.stated) for d in shown])
    dated = [by_key[d.key] for d in line.dated]
    undated = [by_key[d.key] for d in line.undated]
    label = facts.label or slug
    return {
        "title": label,
        "facts": _fact_rows(request, facts, [
            *NAMES, ("International non-proprietary name", CTKG.inn), ("Brand names", CTKG.brandName),
            ("Sponsor", CTKG.sponsor), ("Target antigen", CTKG.targetAntigen), ("Kind", RDF.type),
            ("Description", DCTERMS.description)]),
        "cited": _cited(request, cited.rows),
        "svg": Markup(timeline.svg(line, f"Decisions on {label} by jurisdiction")),  # escaped by ElementTree
        "statuses": STATUSES, "dated": dated, "undated": undated,
        "inspections": _inspections(request, inspections.rows),
    }


async def authority_page(request: Request, lookups: Lookups, slug: str, facts: Statements) -> dict | None:
    if not facts.has_type(CTKG.RegulatoryAuthority):
        return None
    authority = entity("authority", slug)
    found, cited, participation, inspections = await asyncio.gather(
        lookups.rows("decisions-by-authority", {"regulator": authority}),
        lookups.rows("fact-sources", {"fact": authority}),
        lookups.rows("pics-participation", {"authority": authority}),
        lookups.rows("inspections", {"authority": authority}))
    # The query gives them newest first (by the date's text, which orders periods by their first day); the page
    # shows the first NEWEST.
    applications = list(dict.fromkeys(r["application"] for r in found.rows))
    newest = set(applications[:NEWEST])
    shown = decisions(request, [r for r in found.rows if r["application"] in newest])
    shown.sort(key=lambda d: d.period.start.toordinal() if d.period else 0, reverse=True)  # undated last
    label = facts.label or slug
    memberships = [{
        "membership": _ref(request, r["membership"], r["membership"].rsplit("/", 1)[-1]),
        "participant": _ref(request, r["participant"], r.get("participantLabel")),
        "through": r["participant"] != authority.value,
        "scheme": _ref(request, r.get("scheme"), r.get("schemeLabel")) or Shown("PIC/S"),
        "accession": timeline.period(r["accessionDate"]).label if "accessionDate" in r else None,
        "unverified": r.get("unverified") == "true"} for r in participation.rows]
    return {
        "title": label,
        "facts": _fact_rows(request, facts, [*NAMES, ("Jurisdiction", CTKG.jurisdiction),
                                             ("Participates in PIC/S through", CTKG.picsParticipatingUnit),
                                             ("Website", SDO.url)]),
        "cited": _cited(request, cited.rows), "memberships": memberships, "decisions": shown,
        "decision_count": len(applications), "record": str(request.url_for("get_authority", id=slug)),
        "inspections": _inspections(request, inspections.rows),
    }


async def company_page(request: Request, lookups: Lookups, slug: str, facts: Statements) -> dict | None:
    if not facts.has_type(CTKG.Company):
        return None
    company = entity("company", slug)
    products, cited, inspections = await asyncio.gather(
        lookups.rows("company-products", {"company": company}),
        lookups.rows("fact-sources", {"fact": company}),
        lookups.rows("inspections", {"organization": company}))
    parts: dict[str, dict] = {}
    for r in products.rows:
        shown = parts.setdefault(r["product"], {"product": _ref(request, r["product"], r.get("productLabel")),
                                                "roles": []})
        shown["roles"] = sorted({*shown["roles"], r["role"]}, key=list(ROLES).index)
    return {
        "title": facts.label or slug,
        "facts": _fact_rows(request, facts, [*NAMES, ("Website", SDO.url)]),
        "cited": _cited(request, cited.rows),
        "products": [{"product": p["product"], "role": ", ".join(ROLES[r] for r in p["roles"])}
                     for p in parts.values()],
        "inspections": _inspections(request, inspections.rows),
    }


ROLES = {"sponsor": "sponsor", "applicant": "applied for its authorisation"}
PAGES = {"product": ("product.html", product_page), "authority": ("authority.html", authority_page),
         "company": ("company.html", company_page)}
