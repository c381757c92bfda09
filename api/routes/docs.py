"""/docs (Swagger UI) and /redoc: the OpenAPI documentation, served with the app's own copies of Swagger UI
and Redoc (api/static/vendor/, from the npm registry), so the pages work on a machine without internet access.

FastAPI's `get_swagger_ui_html` writes Swagger UI's settings into an inline script, which the CSP of
`api.headers` (script-src 'self') refuses; these pages pass them as data attributes to a static script instead.
"""

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

router = APIRouter(include_in_schema=False)

# Redoc styles its page with styled-components, which writes <style> elements at run time: its page alone
# allows inline styles (scripts stay 'self'), and its search runs in a worker Redoc makes from a blob.
REDOC_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'self'")


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(default=True))


def _page(request: Request, template: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = _templates().get_template(template).render(
        title=request.app.title, openapi_url=request.url_for("openapi").path,
        static=lambda path: request.url_for("static", path=path).path)
    return HTMLResponse(html, headers=headers)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "swagger-ui.html")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, "redoc.html", {"Content-Security-Policy": REDOC_CSP})
