"""Running the dispatcher: as a background task of `aisle serve`, or as `aisle worker` for a chain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from fastapi import FastAPI

from server.core.background import Housekeeper
from server.core.clock import app_now
from server.core.context import AppContext
from server.db.base import utcnow
from server.messaging.adapters.registry import build_adapters
from server.messaging.dispatch import Dispatcher
from server.realtime.events import Envelope

logger = logging.getLogger(__name__)


def dispatcher_for(
    context: AppContext,
    clock: Callable[[], datetime] = utcnow,
    transport: httpx.BaseTransport | None = None,
    fan_out: Callable[[list[Envelope]], None] | None = None,
) -> Dispatcher:
    """A dispatcher with the adapters the context's settings configure."""
    adapters = build_adapters(context.settings, context.sessions, transport, fan_out)
    return Dispatcher(context, adapters, clock)


def get_adapters(app: FastAPI) -> object:
    """The adapters of the app's dispatcher (built on first use when it runs none), for the webhooks."""
    found = getattr(app.state, "messaging_adapters", None)
    if found is None:
        context: AppContext = app.state.context
        found = app.state.messaging_adapters = build_adapters(context.settings, context.sessions)
    return found


async def _dispatch(dispatcher: Dispatcher, worker: Housekeeper, poll: float) -> None:
    while True:
        try:
            claimed = await worker.run(dispatcher.run_once)
        except Exception:  # a database hiccup: log it, wait, go on (the outbox keeps every row)
            logger.exception("the message dispatcher's round failed")
            claimed = 0
        if not claimed:
            await asyncio.sleep(poll)


@asynccontextmanager
async def run_dispatcher(app: FastAPI) -> AsyncIterator[Dispatcher | None]:
    """Send the outbox's messages from this process while the app serves (AISLE_MESSAGING_DISPATCHER)."""
    context: AppContext = app.state.context
    if not context.settings.messaging_dispatcher:
        yield None
        return

    def fan_out(envelopes: list[Envelope]) -> None:
        floor = getattr(app.state, "floor", None)
        if floor is not None:
            floor.broker.publish(envelopes)

    dispatcher = dispatcher_for(context, lambda: app_now(app), fan_out=fan_out)
    app.state.messaging_adapters = dispatcher.adapters
    worker = Housekeeper("messages", niceness=0)
    task = asyncio.create_task(_dispatch(dispatcher, worker, context.settings.messaging_poll_seconds))
    try:
        yield dispatcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.stop()


def work(context: AppContext, once: bool = False) -> int:
    """`aisle worker`: send messages, run journeys and take chunks of a shared night (`aisle jobs nightly
    --share`) until SIGTERM/SIGINT (or one round with `once`); messages, events, steps and chunks handled."""
    from server.automations.runner import JourneyWorker
    from server.jobs.shared import help_with_nights

    dispatcher = dispatcher_for(context)
    journeys = JourneyWorker(context)
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    total = 0
    while not stop.is_set():
        claimed = 0
        for name, round_ in (
            ("message dispatcher", dispatcher.run_once),
            ("journey worker", journeys.run_once),
            ("nightly chunk", lambda: help_with_nights(context.sessions)),
        ):
            try:
                claimed += round_()
            except Exception:
                logger.exception("the %s's round failed", name)
        total += claimed
        if once:
            break
        if not claimed:
            stop.wait(context.settings.messaging_poll_seconds)
    return total
