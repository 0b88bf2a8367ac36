"""Quiet hours, frequency caps and provider rate limits: pure rules the dispatcher applies under its claim.

Quiet hours are the store's local times (stores.quiet_start/quiet_end, 21:00-09:00 by default): a
marketing message due inside them waits for their end. Caps count the marketing messages a member was
sent on a channel in the last day and the last 7 days. One-time codes are exempt from both.
The token bucket is per provider and per process: a chain with N workers gives each 1/N of the rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY, WEEK = timedelta(days=1), timedelta(days=7)


def parse_hhmm(value: str) -> clock_time:
    """'21:00' as a time (ValueError for anything else)."""
    hours, minutes = value.split(":")
    return clock_time(int(hours), int(minutes))


def zone(name: str | None) -> ZoneInfo:
    """The store's time zone; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet(local: clock_time, start: clock_time, end: clock_time) -> bool:
    """Whether a local time falls in quiet hours [start, end) (which may run over midnight)."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, tz: str | None, start: str, end: str) -> datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None when `now` is not in them."""
    where = zone(tz)
    local = now.astimezone(where)
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if not quiet(local.time(), begin, finish):
        return None
    day = local.date() if local.time() < finish else local.date() + timedelta(days=1)
    return datetime.combine(day, finish, tzinfo=where).astimezone(now.tzinfo)


@dataclass(frozen=True)
class Caps:
    """At most `per_day` marketing messages per member and channel in any 24 hours, `per_week` in 7 days."""

    per_day: int
    per_week: int


def capped_until(now: datetime, sent: Sequence[datetime], caps: Caps) -> datetime | None:
    """When one more marketing message may go, given the times of those sent in the last 7 days; None: now."""
    recent = sorted(t for t in sent if t > now - WEEK)
    waits: list[datetime] = []
    day = [t for t in recent if t > now - DAY]
    if len(day) >= caps.per_day:
        waits.append(day[len(day) - caps.per_day] + DAY if caps.per_day else now + DAY)
    if len(recent) >= caps.per_week:
        waits.append(recent[len(recent) - caps.per_week] + WEEK if caps.per_week else now + WEEK)
    return max(waits) if waits else None


class TokenBucket:
    """`rate` sends per second with bursts up to one second's worth; `take` waits for a token."""

    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate, max(1.0, rate)
        self._tokens, self._stamp = self.capacity, time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Block until a token is free, then use it."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)
