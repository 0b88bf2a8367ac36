"""The recommender for the server's lifetime: built in the background at start, rebuilt on catalog change,
following the model deployments.

Building embeds the catalogue (seconds on first run, then from the embedding cache) and loads the model,
so it starts with the server instead of with the first arrival of the day. Every few minutes the
catalogue's fingerprint is compared with the one the recommender was built from; an import run from the
command line or another server process is picked up without a restart, and requests in flight keep the
recommender they started with. The same check recounts the stores' best-sellers (cold-start suggestions,
`server.recommendations.popularity`) when they are over an hour old, so that no request counts sales.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from models.runtime import use_threads
from server.core.background import Housekeeper
from server.core.context import AppContext
from server.core.heap import freeze_heap, long_lived_build
from server.deployments.service import served_versions
from server.recommendations.engine import Engine, RecommenderHolder, holder_for
from server.recommendations.popularity import refresh_popularity

logger = logging.getLogger(__name__)


# After a failed warm-up (the database away, a model folder being copied), tries again this long after.
WARM_RETRY_SECONDS = (5.0, 15.0, 60.0, 300.0)
# How often the deployments are read for versions to load (a promotion made by another process) and
# versions no longer served are let go; a request meeting a version not loaded yet loads it itself.
DEPLOYMENT_CHECK_SECONDS = 5.0


def _check_deployments(holder: RecommenderHolder, sessions: sessionmaker[Session]) -> set[str]:
    """Load what the deployments serve, forget what they no longer do; the versions served."""
    with sessions() as session:
        names = served_versions(session)
    holder.shelf.keep_only(names)
    return names


async def _follow_deployments(
    holder: RecommenderHolder, sessions: sessionmaker[Session], every_seconds: float, housekeeper: Housekeeper
) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await housekeeper.run(_check_deployments, holder, sessions)
        except Exception:  # a failed check must not stop the next one
            logger.exception("checking the model deployments failed")


def _warm_up(holder: RecommenderHolder, sessions: sessionmaker[Session]) -> Engine:
    with long_lived_build():  # torch, the model and the index: no full collection while they load
        # Best-sellers before the rehearsal, so that a first new member's arrival does not rank them.
        refresh_popularity(sessions, holder.get())
        return holder.warm_up()


def _refresh(holder: RecommenderHolder, sessions: sessionmaker[Session]) -> bool:
    """The catalogue check, then best-sellers computed again when the recommender is new or they are old."""
    changed = holder.refresh()
    refresh_popularity(sessions, holder.current)
    return changed


async def _warm(holder: RecommenderHolder, sessions: sessionmaker[Session], warmer: Housekeeper) -> None:
    """Build and run the recommender once; until that succeeds GET /health/ready says why it is not ready."""
    for attempt in itertools.count():
        try:
            rec = await warmer.run(_warm_up, holder, sessions)
        except Exception:  # a request meanwhile retries and reports the error to its caller
            logger.exception("building the recommender at start-up failed")
            await asyncio.sleep(WARM_RETRY_SECONDS[min(attempt, len(WARM_RETRY_SECONDS) - 1)])
            continue
        logger.info(
            "recommender ready: %s (%d products, warm in %.1f s)",
            rec.version,
            len(rec.catalog),
            holder.warm_seconds or 0.0,
        )
        return


async def _keep_fresh(
    holder: RecommenderHolder, sessions: sessionmaker[Session], every_seconds: float, housekeeper: Housekeeper
) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            if await housekeeper.run(_refresh, holder, sessions):
                logger.info("catalog changed: recommender rebuilt")
        except Exception:  # a failed check must not stop the next one
            logger.exception("checking the catalog for changes failed")


@asynccontextmanager
async def run_recommender(app: FastAPI) -> AsyncIterator[None]:
    """Limit search threads, warm the recommender up and keep it fresh for the app's lifespan."""
    context: AppContext = app.state.context
    settings = context.settings
    if settings.search_threads:
        use_threads(settings.search_threads)
    holder = holder_for(context)
    holder.resume()  # stopped by this context's previous lifespan, if it had one
    tasks = []
    # Its own thread, not the request pool: a stopping server joins it (a thread still inside torch when
    # the interpreter exits ends the process with "terminate called without an active exception").
    warmer = Housekeeper("warm-up", niceness=0)
    if settings.recommender_warm_up:
        freeze_heap()  # what the server imported, out of the collector's sight before the first request
        tasks.append(asyncio.create_task(_warm(holder, context.sessions, warmer)))
    # The catalogue check (and a rebuild after an import) at low priority: arrivals keep the CPU.
    housekeeper = Housekeeper("recommender")
    if settings.recommender_refresh_seconds > 0:
        tasks.append(
            asyncio.create_task(
                _keep_fresh(holder, context.sessions, settings.recommender_refresh_seconds, housekeeper)
            )
        )
    tasks.append(
        asyncio.create_task(
            _follow_deployments(holder, context.sessions, DEPLOYMENT_CHECK_SECONDS, housekeeper)
        )
    )
    try:
        yield
    finally:
        holder.stop()  # a build still running gives up at its next encoder call
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await warmer.stop()
        await housekeeper.stop()
