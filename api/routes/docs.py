"""/docs (Swagger UI) and /redoc: the OpenAPI documentation, served with the app's own copies of Swagger UI
and Redoc (api/static/vendor/, from the npm registry), so the pages work on a machine without internet access.

FastAPI's `get_swagger_ui_html` writes Swagger UI's settings into an inline script, which the CSP of
`api.headers` (script-src 'self') refuses; these pages pass them as data attributes to a static script instead.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..headers import REDOC_CSP
from ..pages import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = templates().get_template(template).render(
        title=request.app.title, openapi_url=request.url_for("openapi").path,
        static=lambda path: request.url_for("static", path=path).path)
    return HTMLResponse(html, headers=headers)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "swagger-ui.html")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, "redoc.html", {"Content-Security-Policy": REDOC_CSP})
