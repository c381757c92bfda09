"""/id/{kind}/{id}: the graph's instance IRIs (https://w3id.org/ctkg/id/...) served as linked data.

Turtle, N-Triples, JSON-LD or RDF/XML for a program (the resource's statements and its neighbours'
labels), and a page for a browser that links to its neighbours. Every value on the page is escaped
by the template engine; only http(s) IRIs become links.
"""

from dataclasses import dataclass
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib.namespace import RDFS

from kg.facts import KIND_SEGMENTS, SLUG
from kg.vocab import ID, prefixed

from ..errors import NotAcceptable, NotFound
from ..formats import formats, negotiate, offered
from ..lookups import entity
from ..models import split_iri
from . import RESPONSES, Id, LookupsDep

# The page runs no script, loads nothing from elsewhere and is shown in no frame (`api.headers` adds the
# other security headers of every HTML answer).
PAGE_HEADERS = {"Vary": "Accept", "Content-Security-Policy":
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'none'"}


@dataclass(frozen=True)
class Shown:
    text: str
    href: str | None = None
    note: str | None = None


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(default=True))


def _href(request: Request, iri: str) -> str | None:
    """Where the page links an IRI: an instance to its page here (at the public address, `api.headers`)."""
    kind, slug = split_iri(iri)
    if kind in KIND_SEGMENTS and slug and SLUG.match(slug):
        return str(request.url_for("linked_data", kind=kind, id=slug))
    return iri if iri.startswith(("http://", "https://")) else None


def _shown(request: Request, term: dict, label: str | None) -> Shown:
    """A term as the page shows it: a label or prefixed name (instance IRIs whole), linked when it can be."""
    if term["type"] == "uri":
        return Shown(label or prefixed(term["value"], skip=("id",)), _href(request, term["value"]),
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
    linked = await lookups.rows("resource-referrers", {"resource": resource})
    statements = [{"property": _shown(request, t["property"], r.get("propertyLabel")),
                   "value": _shown(request, t["value"], r.get("valueLabel"))}
                  for r, t in zip(about.rows, about.terms, strict=True)]
    referrers = [{"property": _shown(request, t["property"], r.get("propertyLabel")),
                  "value": _shown(request, t["referrer"], r.get("referrerLabel"))}
                 for r, t in zip(linked.rows, linked.terms, strict=True)]
    label = next((r["value"] for r in about.rows if r["property"] == str(RDFS.label)), None)
    own = str(request.url_for("linked_data", kind=kind, id=id))
    alternates = [{"name": f.name, "href": f"{own}?format={f.name}"} for f in formats("graph")]
    page = _templates().get_template("resource.html").render(
        title=label or f"{kind}/{id}", iri=resource.value, statements=statements, referrers=referrers,
        alternates=alternates)
    return HTMLResponse(page, headers=PAGE_HEADERS)
