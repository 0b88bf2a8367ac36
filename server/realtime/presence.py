"""Floor presence: which staff members have a live socket on which store's floor.

Each process counts its own sockets. With Redis every socket is also a member of a sorted set per
store, scored with the moment it expires; the heartbeat pushes that moment forward, so a process that
dies without saying goodbye drops off the floor within the TTL and all processes agree on who is there.

A phone whose socket closes (Wi-Fi lost, app in the background) stays on the floor for a grace period:
events published meanwhile are logged for that clerk, and the phone replays them with `?since=` when it
is back. Only a clerk who signs out (the "leave" frame) leaves at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import cast

import redis
import redis.asyncio as aioredis

logger = logging.getLogger(__name__)


class Presence:
    """The floor presence registry of one server process (shared through Redis when configured)."""

    def __init__(
        self, *, ttl_seconds: float, namespace: str, redis_url: str = "", grace_seconds: float = 0.0
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.grace_seconds = grace_seconds
        self._prefix = f"aisle:{namespace}:floor:"
        self._redis_url = redis_url
        self._local: dict[int, Counter[int]] = {}
        # store -> staff -> monotonic time until which a staff member who lost their socket still counts
        self._away: dict[int, dict[int, float]] = {}
        self._lock = threading.Lock()
        self._aio: aioredis.Redis | None = None
        self._sync: redis.Redis | None = None

    async def start(self) -> None:
        """Connect to Redis when a URL is configured (the caller has checked that it answers)."""
        if self._redis_url:
            self._aio = aioredis.from_url(self._redis_url)
            self._sync = redis.Redis.from_url(self._redis_url, socket_timeout=2, socket_connect_timeout=2)

    async def stop(self) -> None:
        """Close the Redis connections."""
        if self._aio is not None:
            await self._aio.aclose()
        if self._sync is not None:
            self._sync.close()
        self._aio = self._sync = None

    def _key(self, store_id: int) -> str:
        return f"{self._prefix}{store_id}"

    async def join(self, store_id: int, staff_id: int, conn_id: str) -> None:
        """Put one socket of `staff_id` on the store's floor."""
        with self._lock:
            self._local.setdefault(store_id, Counter())[staff_id] += 1
            self._away.get(store_id, {}).pop(staff_id, None)
        await self.refresh(store_id, staff_id, conn_id)

    async def refresh(self, store_id: int, staff_id: int, conn_id: str) -> None:
        """Keep the socket on the floor for another TTL (called on every heartbeat)."""
        if self._aio is None:
            return
        key, now = self._key(store_id), time.time()
        try:
            async with self._aio.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {f"{staff_id}:{conn_id}": now + self.ttl_seconds})
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.expire(key, int(self.ttl_seconds) + 1)
                await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            logger.warning("floor presence: cannot refresh store %s in Redis: %s", store_id, exc)

    async def leave(self, store_id: int, staff_id: int, conn_id: str, *, signed_out: bool = False) -> None:
        """Take one socket of `staff_id` off the floor (kept for the grace period unless signed out)."""
        grace = 0.0 if signed_out else self.grace_seconds
        with self._lock:
            counts = self._local.get(store_id)
            if counts is not None:
                counts[staff_id] -= 1
                if counts[staff_id] <= 0:
                    del counts[staff_id]
                    if grace > 0:
                        self._away.setdefault(store_id, {})[staff_id] = time.monotonic() + grace
                if not counts:
                    del self._local[store_id]
            if signed_out:
                self._away.get(store_id, {}).pop(staff_id, None)
        if self._aio is None:
            return
        key, entry = self._key(store_id), f"{staff_id}:{conn_id}"
        try:
            if grace > 0:
                # The entry lapses at the end of the grace period instead of at once.
                async with self._aio.pipeline(transaction=False) as pipe:
                    pipe.zadd(key, {entry: time.time() + grace})
                    pipe.expire(key, int(max(grace, self.ttl_seconds)) + 1)
                    await pipe.execute()
            else:
                await self._aio.zrem(key, entry)
        except (redis.RedisError, OSError) as exc:
            logger.warning("floor presence: cannot leave store %s in Redis: %s", store_id, exc)

    def connected_staff(self, store_id: int) -> set[int]:
        """The staff with a socket open on the store's floor in this process (none within a grace period)."""
        with self._lock:
            return set(self._local.get(store_id, ()))

    def local_staff(self, store_id: int) -> set[int]:
        """The staff on the store's floor through this process's sockets (or within their grace period)."""
        now = time.monotonic()
        with self._lock:
            away = self._away.get(store_id, {})
            for staff_id in [s for s, until in away.items() if until <= now]:
                del away[staff_id]
            return set(self._local.get(store_id, ())) | set(away)

    def staff_on_floor(self, store_id: int) -> set[int]:
        """Every staff member on the store's floor, through any process (thread-safe, blocking)."""
        here = self.local_staff(store_id)
        if self._sync is None:
            return here
        try:
            members = cast(list[bytes], self._sync.zrangebyscore(self._key(store_id), time.time(), "+inf"))
        except (redis.RedisError, OSError) as exc:
            logger.warning("floor presence: Redis unreachable, using this process's sockets only: %s", exc)
            return here
        return here | {_staff_of(member) for member in members}


def _staff_of(member: bytes | str) -> int:
    """The staff id of a presence entry "<staff_id>:<connection id>"."""
    text = member.decode() if isinstance(member, bytes) else member
    return int(text.split(":", 1)[0])
