"""Running journeys: as a background task of `aisle serve`, or inside `aisle worker` for a chain.

One round: today's sweeps (if no worker ran them), then events into enrolments, then a batch of due
steps; each in its own transaction, so several workers share the work and a killed one loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from server.automations.engine import EngineSettings, consume_events, run_steps
from server.automations.sweeps import sweep
from server.core.background import Housekeeper
from server.core.clock import app_now
from server.core.context import AppContext
from server.db.base import utcnow
from server.db.session import session_scope

logger = logging.getLogger(__name__)


def settings_of(context: AppContext) -> EngineSettings:
    """The engine's settings from the app's."""
    s = context.settings
    return EngineSettings(
        salt=s.automations_holdout_salt,
        global_holdout_percent=s.automations_global_holdout_percent,
        step_batch=s.automations_step_batch,
    )


class JourneyWorker:
    """Runs the journeys' work in rounds (one per process, or several racing safely)."""

    def __init__(self, context: AppContext, clock: Callable[[], datetime] = utcnow) -> None:
        self.context = context
        self.clock = clock
        self.settings = settings_of(context)

    def run_once(self) -> int:
        """Sweeps, a batch of events and a batch of due steps; how many events and steps were handled."""
        now = self.clock()
        with session_scope(self.context.sessions) as session:
            sweep(session, now)
        handled = 0
        with session_scope(self.context.sessions) as session:
            handled += consume_events(session, now, self.settings)
        with session_scope(self.context.sessions) as session:
            handled += run_steps(session, now, self.settings)
        return handled

    def drain(self, rounds: int = 10_000) -> int:
        """Rounds until nothing is due now (tests, `aisle worker --once`)."""
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            total += done
            if not done:
                break
        return total


async def _loop(worker: JourneyWorker, thread: Housekeeper, poll: float) -> None:
    while True:
        try:
            handled = await thread.run(worker.run_once)
        except Exception:  # a database hiccup: log it, wait, go on (the rows keep every step)
            logger.exception("the journey worker's round failed")
            handled = 0
        if not handled:
            await asyncio.sleep(poll)


@asynccontextmanager
async def run_journeys(app: FastAPI) -> AsyncIterator[JourneyWorker | None]:
    """Run the journeys from this process while the app serves (AISLE_AUTOMATIONS_RUNNER)."""
    context: AppContext = app.state.context
    if not context.settings.automations_runner:
        yield None
        return
    worker = JourneyWorker(context, lambda: app_now(app))
    thread = Housekeeper("journeys", niceness=0)
    task = asyncio.create_task(_loop(worker, thread, context.settings.automations_poll_seconds))
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await thread.stop()
