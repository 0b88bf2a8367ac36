"""Housekeeping threads: one per job, calls in order, lower CPU priority than the requests' threads."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pytest

from server.core.background import NICENESS, Housekeeper, lower_priority

HANG_GUARD = 120.0


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_calls_run_one_after_another_on_the_jobs_own_thread_and_return_or_raise() -> None:
    seen: list[tuple[str, int]] = []

    def job(n: int) -> int:
        seen.append((threading.current_thread().name, n))
        time.sleep(0.01)
        return n * n

    def broken() -> None:
        raise KeyError("gone")

    async def scenario() -> list[int]:
        keeper = Housekeeper("test")
        try:
            results = await asyncio.gather(*(keeper.run(job, n) for n in range(4)))
            with pytest.raises(KeyError, match="gone"):
                await keeper.run(broken)
            return list(results)
        finally:
            await keeper.stop()

    assert asyncio.run(scenario()) == [0, 1, 4, 9]
    assert [n for _, n in seen] == [0, 1, 2, 3]  # one thread: in the order they were asked for
    assert len({name for name, _ in seen}) == 1 and seen[0][0].startswith("aisle-test")
    assert seen[0][0] != threading.current_thread().name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is a Linux feature")
def test_the_housekeeping_thread_runs_at_lower_priority_and_the_callers_thread_is_untouched() -> None:
    before = _niceness()

    async def scenario() -> int:
        keeper = Housekeeper("nice")
        try:
            return await keeper.run(_niceness)
        finally:
            await keeper.stop()

    assert asyncio.run(scenario()) == min(before + NICENESS, 19)
    assert _niceness() == before


def test_a_job_never_outranks_a_request() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        lower_priority(-1)


def test_stop_waits_for_the_running_call_and_then_takes_no_more() -> None:
    finished = threading.Event()
    started = threading.Event()
    release = threading.Event()

    def slow_write() -> None:
        started.set()
        assert release.wait(HANG_GUARD), "the test never released the write"
        finished.set()

    async def scenario() -> None:
        keeper = Housekeeper("stop")
        task = asyncio.create_task(keeper.run(slow_write))
        assert await asyncio.to_thread(started.wait, HANG_GUARD), "the write never started"
        stopping = asyncio.create_task(keeper.stop())
        # A stop that did not wait would be done at once; one that waits is held here whatever the load
        # (the write cannot end before the release), so this window can only excuse a fault, never fail.
        done, _ = await asyncio.wait({stopping}, timeout=0.2)
        assert not done and not finished.is_set(), "stop() returned while a write was still running"
        release.set()
        await stopping
        assert finished.is_set()  # the database write in flight was not abandoned
        with pytest.raises(RuntimeError):
            await keeper.run(slow_write)
        await task

    asyncio.run(scenario())
