"""Housekeeping threads: background jobs run on their own thread, at a lower CPU priority than requests.

Checkpointing SQLite's log, pruning the floor's event log and the recommender's catalogue check used
to run on the request thread pool, next to the arrivals a clerk waits for. On a two-core till server a
background round of tens of milliseconds of SQLite work that overlapped an arrival put it in the
slowest percent. Each job now has one thread of its own whose scheduling priority is lowered
(Linux `nice`, per thread): the kernel gives requests the CPU first and the job the rest. Where the
system refuses (another OS, a sandbox), the job still runs, at normal priority.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Added to the process's niceness for housekeeping threads (0 = as requests, 19 = only when idle).
# Moderate: a job holding Python's lock while descheduled would stall the requests waiting for it.
NICENESS = 10


def lower_priority(niceness: int = NICENESS) -> bool:
    """Lower the calling thread's CPU priority by `niceness`; False where the system does not allow it."""
    if niceness < 0:
        raise ValueError(f"niceness must be 0 or more (a job never outranks a request), got {niceness}")
    if not sys.platform.startswith("linux"):
        return False  # only on Linux does PRIO_PROCESS with a thread's id name that thread alone
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + niceness, 19))
    except OSError as exc:
        logger.info("housekeeping runs at normal priority: %s", exc)
        return False
    return True


class Housekeeper:
    """One low-priority thread that runs a job's calls one after another; `run` awaits each."""

    def __init__(self, name: str, niceness: int = NICENESS) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix=f"aisle-{name}",
            initializer=lower_priority,
            initargs=(niceness,),
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the housekeeping thread, awaited without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def stop(self) -> None:
        """Take no more calls and wait for the one running, if any (it may be writing to the database)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            None, functools.partial(self._executor.shutdown, wait=True, cancel_futures=True)
        )
