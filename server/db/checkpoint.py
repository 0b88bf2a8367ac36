"""SQLite's write-ahead log folded back into the database in the background, not in a request.

By default the connection whose commit makes the log reach 1,000 pages copies it into the database file
there and then, so one request now and then pays for everyone's writes (figures in docs/performance.md). A
server running on SQLite checkpoints every few seconds from a background thread instead (PASSIVE: it never
waits for readers or writers), and the automatic threshold is raised so it rarely fires in a request.
Command-line jobs keep the automatic checkpoint at that higher threshold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from server.core.background import Housekeeper

logger = logging.getLogger(__name__)
EVERY_SECONDS = 5.0
# Pages (4 kB) the log may hold before a committing connection checkpoints it itself.
AUTOCHECKPOINT_PAGES = 10_000


def checkpoint(engine: Engine) -> tuple[int, int]:
    """One passive checkpoint; (pages in the log, pages copied into the database)."""
    with engine.connect() as conn:
        row = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
    return int(row[1]), int(row[2])


async def _every(engine: Engine, seconds: float, housekeeper: Housekeeper, done: asyncio.Event) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await housekeeper.run(checkpoint, engine)
            done.set()
        except SQLAlchemyError as exc:  # a busy or vanished file: the next round tries again
            logger.warning("SQLite checkpoint failed: %s", exc)


@asynccontextmanager
async def background_checkpoints(
    engine: Engine, seconds: float = EVERY_SECONDS
) -> AsyncIterator[asyncio.Event | None]:
    """Checkpoint `engine`'s SQLite log every `seconds` while the block runs (nothing for PostgreSQL).

    Yields an event set once a checkpoint has completed (so a caller can wait for one instead of
    sleeping), or None when there is nothing to checkpoint.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield None
        return
    housekeeper = Housekeeper("checkpoint")  # copying the log is I/O and CPU no request waits for
    done = asyncio.Event()
    task = asyncio.create_task(_every(engine, seconds, housekeeper, done))
    try:
        yield done
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await housekeeper.stop()
