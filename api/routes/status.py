"""/stats (what the graph holds) and /health (whether the service can answer)."""

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.errors import StoreError
from kg.settings import Settings
from kg.store import StoreLayout

from ..errors import StoreUnavailable
from ..jsonld import document
from ..lookups import Lookups
from ..models import ClassCount, HealthPublic, StatsPublic
from . import JSON_OR_JSONLD, LIST_RESPONSES


def current_manifest(settings: Settings) -> tuple[str, dict]:
    """The name and manifest of the build being served; StoreUnavailable when there is none."""
    layout = StoreLayout(settings.store_dir)
    try:
        return layout.current_build().name, layout.manifest()
    except (StoreError, OSError, ValueError) as exc:
        raise StoreUnavailable(f"The graph is not available: {exc}") from None


def router(lookups: Lookups, settings: Settings) -> APIRouter:
    api = APIRouter(tags=["status"])

    @api.get("/stats", response_model=StatsPublic,
             summary="What the graph holds: triples, sources, resources per class",
             responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
    async def stats(request: Request) -> Response:
        _, manifest = current_manifest(settings)
        rows = (await lookups.rows("entities-per-class")).rows
        classes = [ClassCount(iri=r["class"], label=r.get("label"), entities=int(r["entities"])) for r in rows]
        return document(request, StatsPublic(triples=manifest["triples"], quads=manifest["quads"],
                                             sources=len(manifest["sources"]), built_at=manifest["built_at"],
                                             classes=classes))

    @api.get("/health", response_model=HealthPublic, summary="Whether the service can answer queries",
             description="200 when a graph is built and a query worker runs; 503 otherwise. Runs no query.",
             responses={503: {"model": HealthPublic, "description": "Not ready"}})
    async def health() -> Response:
        pool = lookups.pool
        health = HealthPublic(status="ok", workers=len(pool.pids), workers_idle=pool.idle)
        try:
            build, manifest = current_manifest(settings)
            health.build, health.built_at, health.triples = build, manifest.get("built_at"), manifest.get("triples")
        except StoreUnavailable:
            health.status = "unavailable"
        if not pool.pids:
            health.status = "unavailable"
        return Response(json.dumps(health.model_dump(mode="json")), media_type="application/json",
                        status_code=200 if health.status == "ok" else 503)

    return api
