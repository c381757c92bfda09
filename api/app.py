"""The FastAPI application: `create_app(settings)` wires the worker pool, the routers and the error answers.

Nothing happens at import: the pool starts with the application (its lifespan) and stops with it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match, Route

from kg import __version__

from .cache import AnswerCache, CurrentBuild
from .errors import BYTE_LIMIT_HEADER, ROW_LIMIT_HEADER, QueryError, headers_for
from .guards import CancelOnDisconnect, RequestLimits, RequestsInProgress
from .headers import HeadAsGet, PublicAddress, RefuseAmbiguousLength, SecurityHeaders
from .lookups import Lookups
from .pool import WorkerPool
from .replay import ReplayAnswers, Replays
from .routes import applications, authorities, companies, inspections, linked_data, products, search, sources, sparql
from .routes import changes as whats_new
from .routes import docs as docs_pages
from .routes import home as editor_page
from .routes import landscape as landscape_page
from .routes import status as status_routes
from .settings import Settings

DESCRIPTION = """CTKG, a knowledge graph of cell-therapy regulation: which product was approved by which
authority, when, on whose evidence.

- **SPARQL**: `/sparql` is a read-only SPARQL 1.1 Protocol endpoint (GET, POST form, POST
  `application/sparql-query`); `GET /sparql` alone returns its service description.
- **REST**: JSON lookups with IRIs and labels, paginated by `limit` and `offset` with the total in `count`;
  `Accept: application/ld+json` returns the same document as JSON-LD.
- **Linked data**: every instance IRI `https://w3id.org/ctkg/id/{kind}/{id}` is served at `/id/{kind}/{id}`.

Every query runs in a worker process with a time limit, a row limit and a memory cap."""

TAGS = [
    {"name": "sparql", "description": "The SPARQL 1.1 Protocol endpoint, read-only and bounded."},
    {"name": "products", "description": "Medicinal products, their applications and decision timeline."},
    {"name": "authorities", "description": "Regulatory authorities, their jurisdiction and PIC/S membership."},
    {"name": "companies", "description": "Sponsors and applicants."},
    {"name": "applications", "description": "Regulatory applications and their decisions."},
    {"name": "inspections", "description": "GMP inspections."},
    {"name": "sources", "description": "The sources the graph is built from, one named graph each."},
    {"name": "search", "description": "Find resources by label or alias."},
    {"name": "linked data", "description": "The graph's instance IRIs, served as Turtle, JSON-LD or HTML."},
    {"name": "status", "description": "What the graph holds, and whether the service is up."},
    {"name": "editor", "description": "What the SPARQL editor at `/` loads: the competency questions as examples."},
]


METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")  # what a 405's Allow may name


def create_app(settings: Settings) -> FastAPI:
    public_url = settings.public_url()  # refuses to build an app that would not know its own address
    pool = WorkerPool(settings)
    lookups = Lookups(pool, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    # /docs and /redoc are `api.routes.docs`, which load Swagger UI and Redoc from the app's own assets.
    app = FastAPI(title="CTKG API", version=__version__, description=DESCRIPTION, openapi_tags=TAGS,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    # What the routes depend on (`api.routes.LookupsDep`, `SettingsDep`); tests and operators also read the
    # live workers' pids as `app.state.pool.pids`.
    app.state.settings, app.state.lookups, app.state.pool = settings, lookups, pool
    # From the innermost out: the routes see the public address, and HEAD as GET; the guards count every
    # request; a request of ambiguous length is refused before them; every answer gets the security headers.
    app.add_middleware(PublicAddress, public_url=public_url)
    app.add_middleware(HeadAsGet)
    app.add_middleware(CancelOnDisconnect)
    in_progress = RequestsInProgress(settings.max_concurrent_per_client, settings.max_concurrent_requests)
    app.add_middleware(RequestLimits, in_progress=in_progress)
    app.add_middleware(RefuseAmbiguousLength)
    # Public read-only data: any origin may GET or POST (notebooks, a YASGUI hosted elsewhere), never with the
    # browser's credentials; a preflight is answered here, before the guards count it.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match"], allow_credentials=False,
                       expose_headers=[ROW_LIMIT_HEADER, BYTE_LIMIT_HEADER, sparql.BUILD_HEADER, "Retry-After",
                                       "ETag"], max_age=3600)
    app.add_middleware(SecurityHeaders)
    # The same /sparql request again gets the response the app sent, before all of the above (`api.replay`);
    # it counts the requests it answers among those in progress.
    cache = AnswerCache(settings.answer_cache_bytes) if settings.answer_cache_bytes and not lookups.remote else None
    app.state.answer_cache, app.state.replays = cache, None
    if cache is not None and settings.replay_cache_bytes:
        replays = Replays(settings.replay_cache_bytes)
        app.add_middleware(ReplayAnswers, replays=replays, current=CurrentBuild(settings.store_dir, replays),
                           budget=pool.budget, in_progress=in_progress)
        app.state.replays = replays
    # /sparql is answered by a plain ASGI app, routed first; its FastAPI routes only describe it (OpenAPI).
    # Repeated queries are answered from the cache of the embedded store's answers (`api.cache`).
    app.router.routes.append(Route("/sparql", sparql.SparqlEndpoint(lookups, settings, cache),
                                   methods=["GET", "HEAD", "POST"], include_in_schema=False))
    for module in (sparql, products, authorities, companies, applications, inspections, sources, search,
                   linked_data, status_routes, editor_page, docs_pages, landscape_page, whats_new):
        app.include_router(module.router)
    # The pages' own scripts and styles, and the third-party ones `scripts/install.sh` copies from npm.
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")

    @app.exception_handler(QueryError)
    async def problem(_: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status,
                            headers=headers_for(exc, settings.max_rows, settings.max_answer_bytes))

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:  # Starlette names only the first route's methods; /sparql has two routes
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed(app, request.scope))}
        return await http_exception_handler(request, exc)

    return app


def _allowed(app: FastAPI, scope: dict) -> list[str]:
    """The methods some route answers at this path, asking the routes themselves (included routers too)."""
    allowed = {method for method in METHODS
               if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.router.routes)}
    if "GET" in allowed:
        allowed.add("HEAD")  # `HeadAsGet`
    return sorted(allowed)
