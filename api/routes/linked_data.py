"""/id/{kind}/{id}: the graph's instance IRIs (https://w3id.org/ctkg/id/...) served as linked data.

Turtle, N-Triples, JSON-LD or RDF/XML for a program (the resource's statements and its neighbours'
labels), and a page for a browser: a product, an authority or a company has a page of its own
(`api.entity_pages`), any other resource the generic page that links to its neighbours. Every value on a
page is escaped by the template engine; only http(s) IRIs become links.
"""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib.namespace import RDFS

from kg.facts import KIND_SEGMENTS, SLUG
from kg.vocab import ID, prefixed

from ..entity_pages import PAGES
from ..errors import NotAcceptable, NotFound
from ..formats import formats, negotiate, offered
from ..lookups import entity
from ..models import Statements
from ..pages import href, render
from . import RESPONSES, Id, LookupsDep


@dataclass(frozen=True)
class Shown:
    text: str
    href: str | None = None
    note: str | None = None


def _shown(request: Request, term: dict, label: str | None) -> Shown:
    """A term as the page shows it: a label or prefixed name (instance IRIs whole), linked when it can be."""
    if term["type"] == "uri":
        return Shown(label or prefixed(term["value"], skip=("id",)), href(request, term["value"]),
                     prefixed(term["value"], skip=("id",)) if label else None)
    if term["type"] == "literal":
        note = f"@{term['xml:lang']}" if "xml:lang" in term else (
            prefixed(term["datatype"], skip=("id",)) if "datatype" in term else None)
        return Shown(term["value"], None, note)
    return Shown(term["value"])


router = APIRouter(tags=["linked data"])


@router.get("/id/{kind}/{id}", name="linked_data", summary="A resource of the graph, by its IRI",
            description="Turtle by default; JSON-LD, N-Triples or RDF/XML by Accept; an HTML page for a browser. "
                        "`?format=` (turtle, jsonld, ntriples, rdfxml, html) overrides Accept.",
            responses={200: {"content": {f.media_type: {} for f in formats("graph", "page")}}, **RESPONSES})
async def describe(request: Request, lookups: LookupsDep, kind: str, id: Id) -> Response:
    if kind not in KIND_SEGMENTS or not SLUG.match(id):
        raise NotFound(f"{ID}{kind[:50]}/{id[:100]} is not a resource of this graph.")
    fmt = negotiate(request.headers.get("accept"), ["graph", "page"], request.query_params.getlist("format"))
    if fmt is None:
        raise NotAcceptable(f"This resource is available as {offered('graph', 'page')}.")
    resource = entity(kind, id)
    if fmt.kind == "graph":
        body, count = await lookups.graph("resource-description", {"resource": resource}, fmt.name)
        if count == 0:
            raise NotFound(f"{resource.value} is not a resource of this graph.")
        return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})
    about = await lookups.rows("resource-properties", {"resource": resource})
    if not about.rows:
        raise NotFound(f"{resource.value} is not a resource of this graph.")
    own = str(request.url_for("linked_data", kind=kind, id=id))
    alternates = [{"name": f.name, "media_type": f.media_type, "href": f"{own}?format={f.name}"}
                  for f in formats("graph")]
    if kind in PAGES:  # a product, authority or company has a page of its own (`api.entity_pages`)
        template, read = PAGES[kind]
        values = await read(request, lookups, id, Statements(about.rows))
        if values is not None:
            return render(request, template, iri=resource.value, alternates=alternates, **values)
    linked = await lookups.rows("resource-referrers", {"resource": resource})
    statements = [{"property": _shown(request, t["property"], r.get("propertyLabel")),
                   "value": _shown(request, t["value"], r.get("valueLabel"))}
                  for r, t in zip(about.rows, about.terms, strict=True)]
    referrers = [{"property": _shown(request, t["property"], r.get("propertyLabel")),
                  "value": _shown(request, t["referrer"], r.get("referrerLabel"))}
                 for r, t in zip(linked.rows, linked.terms, strict=True)]
    label = next((r["value"] for r in about.rows if r["property"] == str(RDFS.label)), None)
    return render(request, "resource.html", title=label or f"{kind}/{id}", iri=resource.value,
                  statements=statements, referrers=referrers, alternates=alternates)
