"""GET /api/v1/health (liveness) and GET /api/v1/health/ready (readiness); both answer without a token."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from server.core.deps import ContextDep
from server.health.readiness import ReadinessRead, readiness

router = APIRouter(tags=["health"])
VERSION = "0.1.0"
RETRY_AFTER_SECONDS = 5  # what a 503 from /health/ready suggests waiting before asking again


class HealthRead(BaseModel):
    """The process is up and answering."""

    status: Literal["ok"]
    version: str
    database: str  # the configured backend, e.g. "sqlite" or "postgresql"; not contacted here


@router.get(
    "/health",
    description=(
        "**Liveness**: the process is up and answering HTTP. Always 200 while it is; it contacts nothing, "
        "so a database outage does not make a supervisor restart a healthy process. Whether the server "
        "can serve a clerk now is `GET /health/ready`."
    ),
)
def health(context: ContextDep) -> HealthRead:
    """Liveness: 200 whenever the process answers."""
    return HealthRead(status="ok", version=VERSION, database=context.engine.dialect.name)


@router.get(
    "/health/ready",
    description=(
        "**Readiness**: 200 once the first request would be served at normal speed, else 503 with the "
        "reasons (and `Retry-After`). Checks:\n\n"
        "- `database`: reachable, its schema at the newest migration (`aisle db upgrade`);\n"
        "- `recommender`: built from the catalogue and run once (model loaded, first inference done), so "
        "the first arrival does not pay seconds of loading. With `AISLE_RECOMMENDER_WARM_UP=false` it is "
        "built by the first request and does not hold readiness back;\n"
        "- `background_jobs`: start-up finished, none of the background tasks (SQLite checkpoints, the "
        "floor's pruning and broker, the catalogue check) has died, and the server is not shutting down.\n\n"
        "A load balancer sends traffic to a server while this answers 200; `aisle demo` prints "
        "*Ready* when it does."
    ),
    response_model=ReadinessRead,
    responses={503: {"model": ReadinessRead, "description": "Not ready: `reasons` says what it waits for."}},
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when ready, 503 with the reasons until then."""
    report: ReadinessRead = await readiness(request.app)
    if report.status == "ready":
        return JSONResponse(report.model_dump())
    return JSONResponse(
        report.model_dump(), status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
