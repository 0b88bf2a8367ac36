"""Brute-force protection for sign-in: too many failures for one login within a window locks it briefly.

Kept in memory, per server process: enough to stop a script guessing a clerk's password at the till.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from server.core.errors import TooManyRequests


class TooManyAttempts(TooManyRequests):
    """Sign-in refused for a while; `retry_after` says how many seconds."""


class LoginThrottle:
    """Counts failed sign-ins per login in a sliding window and refuses the login once the limit is hit."""

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._clock = clock
        self._max_tracked = max_tracked
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(login: str) -> str:
        return login.strip().lower()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, login: str) -> int:
        """Seconds until `login` may try again; 0 when it may try now."""
        with self._lock:
            now = self._clock()
            times = self._recent(self._key(login), now)
            if len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[-self.max_failures] + self.window - now))

    def check(self, login: str) -> None:
        """Raise TooManyAttempts (429) while `login` is locked out."""
        wait = self.retry_after(login)
        if wait:
            minutes = math.ceil(wait / 60)
            raise TooManyAttempts(
                f"too many failed sign-ins for this staff id; try again in {minutes} minute(s)", wait
            )

    def failed(self, login: str) -> None:
        """Record one failed attempt for `login`."""
        with self._lock:
            now = self._clock()
            key = self._key(login)
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            if len(self._failures) > self._max_tracked:
                self._forget_oldest(now)

    def succeeded(self, login: str) -> None:
        """Forget the failures of `login` after a successful sign-in."""
        with self._lock:
            self._failures.pop(self._key(login), None)

    def _forget_oldest(self, now: float) -> None:
        # A flood of made-up logins must not grow memory without bound.
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) > self._max_tracked:
            self._failures.pop(next(iter(self._failures)))
