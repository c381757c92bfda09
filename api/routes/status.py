"""/stats (what the graph holds) and /health (whether the service can answer)."""

import json
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.errors import StoreError
from kg.settings import Settings
from kg.store import MANIFEST, StoreLayout

from ..errors import StoreUnavailable
from ..jsonld import document
from ..lookups import Lookups
from ..models import ClassCount, HealthPublic, StatsPublic
from . import JSON_OR_JSONLD, LIST_RESPONSES

log = logging.getLogger("ctkg.api")


def current_manifest(settings: Settings) -> tuple[str, dict]:
    """The name and manifest of the build being served; StoreUnavailable when there is none."""
    layout = StoreLayout(settings.store_dir)
    try:
        return layout.current_build().name, layout.manifest()
    except (StoreError, OSError, ValueError) as exc:
        log.debug("the graph is not available: %s", exc)  # with its path: for the operator, not the client
        raise StoreUnavailable() from None


def build_manifest(build: Path) -> dict:
    """The manifest of one build; StoreUnavailable when it cannot be read (e.g. pruned meanwhile)."""
    try:
        return json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("the manifest of %s cannot be read: %s", build, exc)
        raise StoreUnavailable() from None


def router(lookups: Lookups, settings: Settings) -> APIRouter:
    api = APIRouter(tags=["status"])

    @api.get("/stats", response_model=StatsPublic,
             summary="What the graph holds: triples, sources, resources per class",
             responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
    async def stats(request: Request) -> Response:
        found = await lookups.rows("entities-per-class")
        # The counts and the manifest come from the same build, even when a new one was published meanwhile.
        manifest = build_manifest(Path(found.build)) if found.build else current_manifest(settings)[1]
        rows = found.rows
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
