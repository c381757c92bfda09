"""What the analysts' HTML pages share (entity pages, /landscape, /changes): the template engine (also the
editor's and the API docs'), the headers of a page, and how a resource of the graph becomes a link.

Every value reaches a page through Jinja's autoescape; the one piece of markup made elsewhere, a timeline's
SVG (`api.timeline`), is written by an XML serializer that escapes its texts. Pages run no script and take
their style from the app's own stylesheet (`api/static/pages/pages.css`), so their policy allows nothing
but the app's own origin.
"""

from functools import cache

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from kg.facts import KIND_SEGMENTS, SLUG

from .headers import SCRIPTLESS_PAGE_CSP
from .models import split_iri

PAGE_HEADERS = {"Vary": "Accept", "Content-Security-Policy": SCRIPTLESS_PAGE_CSP}
STYLESHEET = "pages/pages.css"


@cache
def templates() -> Environment:
    """The one template environment of the app's HTML (these pages, the editor, /docs and /redoc)."""
    return Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def href(request: Request, iri: str | None) -> str | None:
    """Where a page links an IRI: an instance to its page here (at the public address, `api.headers`), another
    http(s) IRI to itself, anything else nowhere."""
    if not iri:
        return None
    kind, slug = split_iri(iri)
    if kind in KIND_SEGMENTS and slug and SLUG.match(slug):
        return f"{_id_prefix(request)}{kind}/{slug}"
    return iri if iri.startswith(("http://", "https://")) else None


def _id_prefix(request: Request) -> str:
    """The address of /id/ here, asked of the router once per request: a page links hundreds of resources."""
    prefix = getattr(request.state, "id_prefix", None)
    if prefix is None:
        prefix = str(request.url_for("linked_data", kind="kind", id="id")).removesuffix("kind/id")
        request.state.id_prefix = prefix
    return prefix


def stylesheet(request: Request) -> str:
    """The pages' stylesheet, from the app's static files."""
    return str(request.url_for("static", path=STYLESHEET))


def render(request: Request, template: str, status_code: int = 200, **values) -> HTMLResponse:
    """A page: the template rendered with `values`, the links every page has, and the pages' headers."""
    base = str(request.base_url).rstrip("/")
    page = templates().get_template(template).render(
        stylesheet=stylesheet(request), home=base + "/", landscape=base + "/landscape", changes=base + "/changes",
        feed=base + "/changes.atom", docs=base + "/docs", **values)
    return HTMLResponse(page, status_code=status_code, headers=PAGE_HEADERS)
