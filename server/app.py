"""The FastAPI application: wiring only. Domain routers live in their own packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool

from server.arrivals.rehearsal import rehearse_on_warm_up
from server.automations.runner import run_journeys
from server.config import Settings, get_settings
from server.core.clock import app_now
from server.core.context import AppContext
from server.core.docs import FLOOR_SOCKET, serve_docs
from server.core.errors import AisleError
from server.core.guard import RequestGuard
from server.core.logs import redact_server_logs
from server.core.openapi import document_errors
from server.core.sealing import seal_clear_text
from server.db.checkpoint import background_checkpoints
from server.health.readiness import watch_jobs
from server.messaging.runner import run_dispatcher
from server.realtime.service import run_floor
from server.recommendations import floor_chat
from server.recommendations.lifecycle import run_recommender

API = "/api/v1"
# How uvicorn should serve the app. No per-message deflate on WebSockets: an arrival goes to a whole floor
# at once, and compressing the same frame once per socket would cost more than the rest of the fan-out.
SERVE_OPTIONS: dict[str, object] = {"ws_per_message_deflate": False}


def create_app(settings: Settings | None = None, context: AppContext | None = None) -> FastAPI:
    """Build the app; `context` lets tests and the demo hand over an engine they already hold."""
    # Here rather than in the `aisle` commands: every server of this app, a test's or uvicorn --factory's
    # too, writes its access log without query values or tokens.
    redact_server_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "context", None) is None:
            app.state.context = AppContext.from_settings(settings or get_settings())
        engine = app.state.context.engine
        # Notes and chat text stored in clear by an earlier version are sealed before the first request.
        await run_in_threadpool(seal_clear_text, app.state.context)
        if app.state.context.settings.recommender_warm_up:  # readiness waits for a first arrival's rehearsal
            rehearse_on_warm_up(app.state.context, lambda: app_now(app))
        jobs = watch_jobs(app)  # GET /health/ready: the tasks these blocks start, and whether they still run
        async with background_checkpoints(engine), run_floor(app) as floor, run_recommender(app):
            floor.handlers[floor_chat.FRAME_TYPE] = floor_chat.answer_chat
            async with run_dispatcher(app), run_journeys(app), jobs.serving():
                yield

    app = FastAPI(
        title="Aisle",
        version="0.1.0",
        summary="Clienteling for physical retail stores",
        description=FLOOR_SOCKET,
        lifespan=lifespan,
        docs_url=None,  # served by serve_docs from vendored files, not from a CDN
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
    )
    app.state.context = context

    @app.exception_handler(AisleError)
    async def _aisle_error(_request: Request, exc: AisleError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=exc.headers)

    # A last line behind the bounds at the edge: a number or date the database or the calendar cannot hold
    # that still got through (SQLite's OverflowError, PostgreSQL's "out of range" and NUL refusals) is the
    # caller's mistake, not the server's.
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"a value is out of range: {_first_line(exc)}"}, status_code=422)

    limit = (settings or (context.settings if context else get_settings())).max_body_bytes
    app.add_middleware(RequestGuard, max_body_bytes=limit)
    document_errors(app)
    serve_docs(app, openapi_url=f"{API}/openapi.json")

    from server.routers import include_routers

    include_routers(app, prefix=API)
    return app


def _first_line(exc: Exception) -> str:
    # The driver's message without the SQL statement and parameters SQLAlchemy appends.
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
