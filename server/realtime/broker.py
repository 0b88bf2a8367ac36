"""Fan-out of stored floor events to the sockets that want them: in-process, or across processes by Redis.

Every socket subscribes with a bounded queue. `publish` may be called from any thread (a request's
commit runs in the thread pool); delivery always happens on the event loop. With Redis a process
delivers to its own sockets at once and sends one message per event on one channel; the other
processes deliver it to theirs. A lost message costs nothing but latency: the events are in the
database, and a socket that sees a gap in the numbers reads the missing ones from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import uuid
from collections import defaultdict

import redis
import redis.asyncio as aioredis

from server.core.errors import ConfigurationError
from server.core.words import counted
from server.realtime.events import Envelope, decode_batch, encode_batch

logger = logging.getLogger(__name__)
QUEUE_SIZE = 1000
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class Signal(enum.Enum):
    """What a socket's queue can carry besides events."""

    OVERFLOW = "overflow"  # the socket fell behind: close it, the client replays what it missed
    RESYNC = "resync"  # live messages may have been lost: read the log from the last sent seq


class Subscription:
    """One socket's live feed; lives on the event loop."""

    def __init__(self, staff_id: int, maxsize: int) -> None:
        self.staff_id = staff_id
        self.queue: asyncio.Queue[Envelope | Signal] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, item: Envelope | Signal) -> None:
        """Queue an item; a full queue is emptied and left holding only OVERFLOW."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Signal.OVERFLOW)


class Broker:
    """In-process fan-out (one server process); `RedisBroker` extends it across processes."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.origin = uuid.uuid4().hex
        self._queue_size = queue_size
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Bind to the running event loop."""
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        """Stop accepting publications."""
        self._loop = None

    def subscribe(self, staff_id: int) -> Subscription:
        """A live feed of the staff member's events (call on the event loop)."""
        sub = Subscription(staff_id, self._queue_size)
        self._subs[staff_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop feeding `sub`."""
        subs = self._subs.get(sub.staff_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.staff_id]

    def deliver(self, envelopes: list[Envelope]) -> None:
        """Hand each envelope to its staff member's sockets in this process (on the event loop)."""
        for envelope in envelopes:
            for sub in tuple(self._subs.get(envelope.staff_id, ())):
                sub.offer(envelope)

    def resync_all(self) -> None:
        """Tell every socket in this process to read the log for anything it may have missed."""
        for subs in tuple(self._subs.values()):
            for sub in tuple(subs):
                sub.offer(Signal.RESYNC)

    def publish(self, envelopes: list[Envelope]) -> None:
        """Fan out stored envelopes; callable from any thread, never blocks."""
        loop = self._loop
        if loop is None or loop.is_closed():
            logger.warning(
                "floor broker not running: %s replay",
                counted(len(envelopes), "stored event awaits", "stored events await"),
            )
            return
        batches: dict[str, list[Envelope]] = defaultdict(list)
        for envelope in envelopes:
            batches[envelope.event_id].append(envelope)
        loop.call_soon_threadsafe(self._dispatch, list(batches.values()))

    def _dispatch(self, batches: list[list[Envelope]]) -> None:
        for batch in batches:
            self.deliver(batch)


class RedisBroker(Broker):
    """Fan-out across server processes through one Redis pub/sub channel per deployment."""

    def __init__(self, url: str, namespace: str, queue_size: int = QUEUE_SIZE) -> None:
        super().__init__(queue_size)
        self.url = url
        self.channel = f"aisle:{namespace}:floor:events"
        self._client: aioredis.Redis | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        """Connect (failing with a readable message), subscribe, and start sending."""
        await super().start()
        self._client = aioredis.from_url(self.url, health_check_interval=30)
        try:
            await self._client.ping()
        except (redis.RedisError, OSError) as exc:
            await self._client.aclose()
            self._client = None
            raise ConfigurationError(f"cannot connect to Redis at AISLE_REDIS_URL: {exc}") from exc
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._send())]
        # Messages published before the subscription is live would be lost to this process.
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        """Cancel the listener and sender and close the connection."""
        await super().stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _dispatch(self, batches: list[list[Envelope]]) -> None:
        super()._dispatch(batches)
        for batch in batches:
            self._outbox.put_nowait(encode_batch(self.origin, batch))

    async def _send(self) -> None:
        # One sender keeps this process's messages in publication order.
        assert self._client is not None
        while True:
            message = await self._outbox.get()
            try:
                await self._client.publish(self.channel, message)
            except (redis.RedisError, OSError) as exc:
                logger.warning("floor broker: cannot publish to Redis (events stay in the log): %s", exc)

    async def _listen(self) -> None:
        assert self._client is not None
        failures = 0
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    if failures:
                        logger.info("floor broker: Redis subscription restored")
                        self.resync_all()
                    failures = 0
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                logger.warning("floor broker: Redis subscription lost (%s); retrying in %ss", exc, delay)
                await asyncio.sleep(delay)

    def _receive(self, data: bytes | str) -> None:
        try:
            origin, envelopes = decode_batch(data)
        except ValueError as exc:
            logger.warning("floor broker: ignoring a malformed message on %s: %s", self.channel, exc)
            return
        if origin != self.origin:
            self.deliver(envelopes)
