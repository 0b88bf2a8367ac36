"""Whether the server would serve a clerk's first request at normal speed now (GET /api/v1/health/ready).

Liveness (GET /health) only says the process answers. Readiness checks what the first arrival needs:

- database: reachable, and its schema at the newest migration this code knows;
- recommender: built and run once (`RecommenderHolder.warm_up`: model loaded, first inference done, a
  first arrival's profile and card rehearsed, server/arrivals/rehearsal.py), so the first arrival does not
  pay seconds of loading nor milliseconds of first-time SQL. With AISLE_RECOMMENDER_WARM_UP=false it is
  built by the first request that needs it, as configured, and does not hold readiness back;
- background jobs: the app's start-up has finished (its routes built, `compile_routes`), none of the
  tasks it started (SQLite checkpoints, the floor's pruning and broker, the recommender's catalogue
  check) has died, and the app is not shutting down.

`watch_jobs` is called by the app's lifespan; `readiness` is what the endpoint and `aisle demo` ask.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from server.core.context import AppContext
from server.db.migrate import MIGRATIONS, current_revision

JobsState = Literal["starting", "serving", "stopping"]


class CheckRead(BaseModel):
    """One part of readiness."""

    ready: bool
    detail: str = Field(description="What was found, in a sentence; for a part not ready, what it waits for.")


class ReadinessRead(BaseModel):
    """The answer of GET /health/ready: 200 when every check is ready, else 503 with the reasons."""

    status: Literal["ready", "not ready"]
    checks: dict[str, CheckRead] = Field(description="database, recommender and background_jobs.")
    reasons: list[str] = Field(description="'check: detail' for each check not ready; empty when ready.")


def compile_routes(routes: Sequence[Any]) -> int:
    """Build every route now: FastAPI builds an included router's routes (their dependencies, request and
    response models) on the first request that reaches it, a fifth of a second for the recommendations
    router on a quiet machine, paid by the first arrival. Returns how many routes there are."""
    count = 0
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if not callable(candidates):  # a route, or a FastAPI that builds them up front
            count += 1
            continue
        count += compile_routes(candidates())
        low_priority = getattr(route, "effective_low_priority_routes", None)
        if callable(low_priority):
            low_priority()
    return count


@dataclass
class Jobs:
    """The background tasks the app's lifespan started, and whether it is starting, serving or stopping."""

    app: FastAPI
    before: set[asyncio.Task[Any]]
    state: JobsState = "starting"
    tasks: list[tuple[str, asyncio.Task[Any]]] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Entered once every background block has started; left as shutdown begins."""
        compile_routes(self.app.router.routes)
        current = asyncio.current_task()
        for task in asyncio.all_tasks() - self.before:
            if task is not current:
                self.tasks.append((_task_name(task), task))
        self.loop = asyncio.get_running_loop()
        self.state = "serving"
        try:
            yield
        finally:
            self.state = "stopping"

    def check(self) -> CheckRead:
        """Ready while serving with no background task dead; read on the event loop's thread."""
        if self.state == "starting":
            return CheckRead(ready=False, detail="the server is still starting")
        if self.state == "stopping":
            return CheckRead(ready=False, detail="the server is shutting down")
        dead = [f"{name} stopped: {_failure(task)}" for name, task in self.tasks if _failed(task)]
        if dead:
            return CheckRead(ready=False, detail="; ".join(dead))
        running = sorted(name for name, task in self.tasks if not task.done())
        listed = f": {', '.join(running)}" if running else ""
        return CheckRead(ready=True, detail=f"{len(running)} running{listed}")


def watch_jobs(app: FastAPI) -> Jobs:
    """Note the tasks alive now, so that `Jobs.serving` can tell the ones the lifespan starts after this."""
    jobs = Jobs(app=app, before=asyncio.all_tasks())
    app.state.jobs = jobs
    return jobs


def _task_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    name = getattr(coro, "__qualname__", None) or task.get_name()
    return f"{module.removeprefix('server.')}.{name}" if module else str(name)


def _failed(task: asyncio.Task[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _failure(task: asyncio.Task[Any]) -> str:
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return f"{type(error).__name__}: {error}".splitlines()[0]


@functools.cache
def _head_revision() -> str | None:
    """The newest migration this code knows (read from the migrations folder once)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def check_database(engine: Engine) -> CheckRead:
    """Reachable, and at the newest schema this code knows (blocking: run it off the event loop)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return CheckRead(ready=False, detail=f"unreachable: {str(exc.__cause__ or exc).splitlines()[0]}")
    head = _head_revision()
    if revision != head:
        return CheckRead(
            ready=False,
            detail=f"schema at {revision or 'no revision'}, this server needs {head}: run `aisle db upgrade`",
        )
    return CheckRead(ready=True, detail=f"{engine.dialect.name}, schema at {revision}")


def check_recommender(context: AppContext) -> CheckRead:
    """Built and warmed up (or, with warm-up off, left to the first request as configured)."""
    holder = context.recommender
    if not context.settings.recommender_warm_up:
        built = "built" if holder is not None and holder.built else "not built yet"
        return CheckRead(
            ready=True,
            detail=f"{built}; warm-up is off (AISLE_RECOMMENDER_WARM_UP=false): the first request builds it",
        )
    if holder is not None and holder.warm and holder.current is not None:
        rec = holder.current
        took = f", warmed up in {holder.warm_seconds:.1f} s" if holder.warm_seconds is not None else ""
        return CheckRead(ready=True, detail=f"{len(rec.catalog)} products, {rec.version}{took}")
    if holder is not None and holder.warm_error and not holder.warming:
        return CheckRead(ready=False, detail=f"warm-up failed, trying again: {holder.warm_error}")
    if holder is not None and holder.built:
        return CheckRead(ready=False, detail="warming up: rehearsing a first arrival's profile and card")
    return CheckRead(ready=False, detail="warming up: loading the model and indexing the catalogue")


async def readiness(app: FastAPI) -> ReadinessRead:
    """Every check, run on the app's event loop (the database one in the thread pool)."""
    context: AppContext = app.state.context
    jobs: Jobs | None = getattr(app.state, "jobs", None)
    checks = {
        "database": await run_in_threadpool(check_database, context.engine),
        "recommender": check_recommender(context),
        "background_jobs": jobs.check() if jobs is not None else CheckRead(ready=False, detail="not started"),
    }
    reasons = [f"{name}: {check.detail}" for name, check in checks.items() if not check.ready]
    return ReadinessRead(status="not ready" if reasons else "ready", checks=checks, reasons=reasons)


def ready_now(app: FastAPI, timeout: float = 10.0) -> ReadinessRead | None:
    """`readiness` asked from another thread (`aisle demo` waiting to say Ready); None before serving."""
    jobs: Jobs | None = getattr(app.state, "jobs", None)
    if jobs is None or jobs.loop is None or jobs.state != "serving":
        return None
    return asyncio.run_coroutine_threadsafe(readiness(app), jobs.loop).result(timeout)
