"""Floor presence: which staff members have a live socket on which store's floor.

Each process counts its own sockets. With Redis every socket is also a member of a sorted set per
store, scored with the moment it expires; the heartbeat pushes that moment forward, so a process that
dies without saying goodbye drops off the floor within the TTL and all processes agree on who is there.
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

    def __init__(self, *, ttl_seconds: float, namespace: str, redis_url: str = "") -> None:
        self.ttl_seconds = ttl_seconds
        self._prefix = f"aisle:{namespace}:floor:"
        self._redis_url = redis_url
        self._local: dict[int, Counter[int]] = {}
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

    async def leave(self, store_id: int, staff_id: int, conn_id: str) -> None:
        """Take one socket of `staff_id` off the store's floor."""
        with self._lock:
            counts = self._local.get(store_id)
            if counts is not None:
                counts[staff_id] -= 1
                if counts[staff_id] <= 0:
                    del counts[staff_id]
                if not counts:
                    del self._local[store_id]
        if self._aio is None:
            return
        try:
            await self._aio.zrem(self._key(store_id), f"{staff_id}:{conn_id}")
        except (redis.RedisError, OSError) as exc:
            logger.warning("floor presence: cannot leave store %s in Redis: %s", store_id, exc)

    def local_staff(self, store_id: int) -> set[int]:
        """The staff members on the store's floor through this process's sockets."""
        with self._lock:
            return set(self._local.get(store_id, ()))

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
