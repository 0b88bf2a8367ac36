"""The garbage collector in a server process: the long-lived heap kept out of its sight.

A full collection walks every object the process holds and stops every thread, the event loop included,
while it does, and with the recommender's libraries loaded the heap is large enough for that to be the
profile's whole tail (docs/performance.md). So the heap alive at start-up is frozen before the first
request, no full collection runs while a build creates long-lived objects, and what the build made is
frozen after it without one. Frozen objects are still freed by reference counting; requests' short-lived
garbage is collected as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A full collection only after this many young ones: never, for the length of a build.
_NO_FULL = 1_000_000_000
_lock = threading.Lock()
_builds = 0
_thresholds: tuple[int, int, int] = gc.get_threshold()


def freeze_heap() -> None:
    """Collect everything, then freeze what is alive (before serving: nobody waits for this collection)."""
    gc.collect()
    gc.freeze()


@contextmanager
def long_lived_build() -> Iterator[None]:
    """No full collection while the block builds a heap that will live as long as the process; frozen after.

    At the end only the young generations are collected before the freeze: a full collection after a
    build finds only a few unreachable objects, so those are kept rather than every request in flight
    stalled.
    """
    global _builds, _thresholds
    with _lock:
        if _builds == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(_thresholds[0], _thresholds[1], _NO_FULL)
        _builds += 1
    try:
        yield
    finally:
        with _lock:
            _builds -= 1
            if _builds == 0:
                gc.collect(1)
                gc.freeze()
                gc.set_threshold(*_thresholds)
