"""`aisle worker`: one process that sends the outbox's messages, runs journeys and helps with a shared night.

A chain runs several; each round claims its own rows (messages, events, due steps, a night's chunk), so
they share the work and a killed one loses nothing.
"""

from __future__ import annotations

import logging
import signal
import threading

from server.automations.runner import JourneyWorker
from server.core.context import AppContext
from server.jobs.shared import help_with_nights
from server.messaging.runner import dispatcher_for

logger = logging.getLogger(__name__)


def work(context: AppContext, once: bool = False) -> int:
    """Send messages, run journeys and take chunks of a shared night (`aisle jobs nightly --share`) until
    SIGTERM/SIGINT (or one round with `once`); messages, events, steps and chunks handled."""
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
