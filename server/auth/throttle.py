"""Brute-force protection for sign-in that cannot be turned into a lock-out of someone else.

Failures are counted three ways, each in a sliding window:
- per login *and* client address: five failures lock that pair, then each further failure doubles the wait
  (1, 2, 4, 8, 15 minutes): a script at one address gets a handful of guesses an hour;
- per address across logins: one address trying one password on many logins is throttled as an address;
- per login across addresses: only a distributed volume (50 in 15 minutes) locks a login for everyone.
So an attacker at one address, failing on a clerk's login, locks only themselves out, not the clerk at the
till. Staff behind one shared address (a store's NAT) share its address count, hence its high limit.

Kept in memory, per server process. Attempts refused while locked are not failures: no password was tried.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from server.core.errors import TooManyRequests
from server.core.words import counted


class TooManyAttempts(TooManyRequests):
    """Sign-in refused for a while; `retry_after` says how many seconds."""


@dataclass(frozen=True)
class Backoff:
    """`limit` failures within `window` seconds lock for `base` seconds after the last one; each failure
    beyond the limit doubles that, up to `cap`."""

    limit: int
    window: float
    base: float
    cap: float


PER_PAIR = Backoff(limit=5, window=60 * 60, base=60, cap=15 * 60)
PER_ADDRESS = Backoff(limit=20, window=15 * 60, base=60, cap=15 * 60)
PER_LOGIN = Backoff(limit=50, window=15 * 60, base=15 * 60, cap=15 * 60)


class _Failures:
    """Failure times per key in a sliding window, and the lock they add up to."""

    def __init__(self, policy: Backoff, max_tracked: int) -> None:
        self.policy = policy
        self._max_tracked = max_tracked
        # Past limit + 8 failures the wait is at its cap (2**8 minutes), so older ones change nothing.
        self._maxlen = policy.limit + 8
        self._times: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times.get(key, deque(maxlen=self._maxlen))
        while times and times[0] <= now - self.policy.window:
            times.popleft()
        if not times:
            self._times.pop(key, None)
        return times

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        times = self._recent(key, now)
        excess = len(times) - self.policy.limit
        if excess < 0:
            return 0.0
        wait = min(self.policy.cap, self.policy.base * 2.0**excess)
        return max(0.0, times[-1] + wait - now)

    def add(self, key: str, now: float) -> None:
        """Count one failure of `key` at `now`."""
        times = self._recent(key, now)
        times.append(now)
        self._times[key] = times
        if len(self._times) > self._max_tracked:
            self._forget_oldest(now)

    def clear(self, key: str) -> None:
        """Forget the failures of `key`."""
        self._times.pop(key, None)

    def __len__(self) -> int:
        return len(self._times)

    def _forget_oldest(self, now: float) -> None:
        # A flood of made-up logins or spoofed addresses must not grow memory without bound.
        for key in list(self._times):
            self._recent(key, now)
        while len(self._times) > self._max_tracked:
            self._times.pop(next(iter(self._times)))


class LoginThrottle:
    """Refuses sign-ins (429 with Retry-After) for a (login, address) pair, an address or a login whose
    recent failures passed their limit; see the module docstring."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = 10_000,
        per_pair: Backoff = PER_PAIR,
        per_address: Backoff = PER_ADDRESS,
        per_login: Backoff = PER_LOGIN,
    ) -> None:
        self._clock = clock
        self._pairs = _Failures(per_pair, max_tracked)
        self._addresses = _Failures(per_address, max_tracked)
        self._logins = _Failures(per_login, max_tracked)
        self._lock = threading.Lock()

    @staticmethod
    def _keys(login: str, address: str) -> tuple[str, str, str]:
        name, where = login.strip().lower(), address.strip().lower()
        return f"{name}\n{where}", where, name

    def _waits(self, login: str, address: str) -> list[tuple[float, str]]:
        pair, where, name = self._keys(login, address)
        now = self._clock()
        return [
            (self._pairs.retry_after(pair, now), "for this staff id from this address"),
            (self._addresses.retry_after(where, now), "from this address"),
            (self._logins.retry_after(name, now), "for this staff id"),
        ]

    def retry_after(self, login: str, address: str) -> int:
        """Seconds until `login` may try again from `address`; 0 when it may try now."""
        with self._lock:
            wait = max(w for w, _ in self._waits(login, address))
        return math.ceil(wait)

    def check(self, login: str, address: str) -> None:
        """Raise TooManyAttempts (429) while `login` may not sign in from `address`."""
        with self._lock:
            wait, why = max(self._waits(login, address))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            minutes = math.ceil(seconds / 60)
            message = f"too many failed sign-ins {why}; try again in {counted(minutes, 'minute')}"
            raise TooManyAttempts(message, seconds)

    def failed(self, login: str, address: str) -> None:
        """Record one failed attempt for `login` from `address`."""
        pair, where, name = self._keys(login, address)
        with self._lock:
            now = self._clock()
            self._pairs.add(pair, now)
            self._addresses.add(where, now)
            self._logins.add(name, now)

    def succeeded(self, login: str, address: str) -> None:
        """Forget the failures of `login` from `address` after a successful sign-in there.

        The address and login counts stay: signing in to one's own account must not reset the count of
        an address spraying others, nor of a login under a distributed attack."""
        with self._lock:
            self._pairs.clear(self._keys(login, address)[0])

    def tracked(self) -> int:
        """How many pairs, addresses and logins are remembered (memory stays bounded)."""
        with self._lock:
            return len(self._pairs) + len(self._addresses) + len(self._logins)
