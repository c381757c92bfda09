"""/stats (what the graph holds) and /health (whether the service can answer)."""

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import QueryError
from ..jsonld import document
from ..models import ClassCount, HealthPublic, StatsPublic
from . import JSON_OR_JSONLD, LIST_RESPONSES, LookupsDep

log = logging.getLogger("ctkg.api")
HEALTH_TIMEOUT_S = 2.0


router = APIRouter(tags=["status"])


@router.get("/stats", response_model=StatsPublic,
            summary="What the graph holds: triples, sources, resources per class",
            responses={200: JSON_OR_JSONLD, **LIST_RESPONSES})
async def stats(request: Request, lookups: LookupsDep) -> Response:
    _, manifest = await lookups.manifest()
    if "classes" in manifest:  # counted by the build (kg.stats)
        classes = [ClassCount(iri=c["class"], label=c["label"], entities=c["entities"]) for c in manifest["classes"]]
    else:  # over a remote SPARQL server
        found = await lookups.rows("entities-per-class")
        # The counts and the manifest come from the same build, even when a new one was published meanwhile.
        _, manifest = await lookups.manifest(found.build)
        classes = [ClassCount(iri=r["class"], label=r.get("label"), entities=int(r["entities"])) for r in found.rows]
    return document(request, StatsPublic(triples=manifest["triples"], quads=manifest["quads"],
                                         sources=len(manifest["sources"]), built_at=manifest["built_at"],
                                         classes=classes))


@router.get("/health", response_model=HealthPublic, summary="Whether the service can answer queries",
            description="200 when a graph is built and a query worker runs (`degraded` when fewer than the pool "
                        "keeps are ready); 503 otherwise. With the embedded "
                        "store it runs no query; over a remote SPARQL server it reads the pushed build's record "
                        f"there (within {HEALTH_TIMEOUT_S:g} s).",
            responses={503: {"model": HealthPublic, "description": "Not ready"}})
async def health(lookups: LookupsDep) -> Response:
    pool = lookups.pool
    health = HealthPublic(status="ok", backend="remote" if lookups.remote else "embedded",
                          workers=len(pool.pids), workers_idle=pool.idle, workers_wanted=pool.wanted)
    try:
        build, manifest = await lookups.manifest(timeout=HEALTH_TIMEOUT_S)
        health.build, health.built_at, health.triples = build, manifest.get("built_at"), manifest.get("triples")
    except QueryError:
        health.status = "unavailable"
    if not pool.ready:
        health.status = "unavailable"
    elif pool.ready < pool.wanted and health.status == "ok":
        health.status = "degraded"  # still answering, while a worker is replaced
    return Response(json.dumps(health.model_dump(mode="json")), media_type="application/json",
                    status_code=503 if health.status == "unavailable" else 200)
