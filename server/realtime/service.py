"""The live floor: publishing events to the staff on a store's floor, and running the machinery.

An event is written to each recipient's log (with that staff member's next sequence number) in the
caller's transaction, and fanned out only once that transaction commits: a rolled-back arrival is
never announced, and every announced event can be replayed. The event is stored once, in its floor's
stream; the copies cost no rows of their own while the floor's clerks stay on it (server.realtime.store).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.core.background import Housekeeper
from server.core.context import AppContext
from server.core.errors import ConfigurationError, InvalidInput, NotFound
from server.core.words import counted
from server.db.base import utcnow
from server.db.session import session_scope
from server.realtime import store
from server.realtime.broker import Broker, RedisBroker
from server.realtime.events import Envelope, check_event_type
from server.realtime.presence import Presence
from server.stores.repository import store_exists

logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600.0
# The first prune waits a minute, so a starting server (or a test's) does not compete for the database.
FIRST_PRUNE_SECONDS = 60.0
_PENDING = "aisle.realtime.pending"


@dataclass(frozen=True)
class FrameCall:
    """A request a signed-in phone sent over its floor socket (e.g. a chat turn), for its handler."""

    app: FastAPI
    staff_id: int
    store_id: int | None
    frame: dict[str, Any]


# Runs in the thread pool; returns the reply frame. AisleError becomes an error frame with its status.
FrameHandler = Callable[[FrameCall], dict[str, Any]]


@dataclass
class Floor:
    """One process's live floor: the broker, the presence registry and the heartbeat interval."""

    context: AppContext
    broker: Broker
    presence: Presence
    heartbeat_seconds: float
    # What phones may ask over the socket besides ping/pong/leave, by frame type ("chat").
    handlers: dict[str, FrameHandler] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _housekeeper: Housekeeper | None = None

    async def start(self) -> None:
        """Connect the broker and presence registry; start the hourly prune."""
        await self.broker.start()
        await self.presence.start()
        housekeeper = self._housekeeper = Housekeeper("floor")
        self._tasks.append(asyncio.create_task(self._prune_hourly(housekeeper)))

    async def stop(self) -> None:
        """Stop the prune task, the presence registry and the broker."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._housekeeper is not None:
            await self._housekeeper.stop()
            self._housekeeper = None
        await self.presence.stop()
        await self.broker.stop()

    async def _prune_hourly(self, housekeeper: Housekeeper) -> None:
        await asyncio.sleep(FIRST_PRUNE_SECONDS)
        while True:
            try:
                removed = await housekeeper.run(prune_now, self.context)
                if removed:
                    logger.info("live floor: pruned %s older than 24 hours", counted(removed, "event"))
            except Exception:  # a failed prune must not stop the floor; the next hour retries
                logger.exception("live floor: pruning the event log failed")
            await asyncio.sleep(PRUNE_EVERY_SECONDS)


def channel_namespace(context: AppContext) -> str:
    """A Redis namespace shared by the processes of one deployment (derived from its secret)."""
    return hmac.new(context.keys.jwt, b"aisle-live-floor", hashlib.sha256).hexdigest()[:16]


def build_floor(context: AppContext) -> Floor:
    """The floor for `context`'s settings: Redis fan-out and presence when `redis_url` is set."""
    settings = context.settings
    heartbeat = settings.floor_heartbeat_seconds
    namespace = channel_namespace(context)
    url = settings.redis_url.strip()
    broker = RedisBroker(url, namespace) if url else Broker()
    # Three missed heartbeats and a socket's process is presumed gone.
    presence = Presence(
        ttl_seconds=max(3 * heartbeat, 5.0),
        namespace=namespace,
        redis_url=url,
        grace_seconds=settings.floor_grace_seconds,
    )
    return Floor(context=context, broker=broker, presence=presence, heartbeat_seconds=heartbeat)


@asynccontextmanager
async def run_floor(app: FastAPI) -> AsyncIterator[Floor]:
    """Start the live floor for the app's lifespan (kept on `app.state.floor`), stop it afterwards."""
    floor = build_floor(app.state.context)
    await floor.start()
    app.state.floor = floor
    try:
        yield floor
    finally:
        app.state.floor = None
        await floor.stop()


async def get_floor(request: Request) -> Floor:
    """The app's live floor; ConfigurationError when the app runs without its lifespan."""
    floor: Floor | None = getattr(request.app.state, "floor", None)
    if floor is None:
        raise ConfigurationError("the live floor is not running (the app was started without its lifespan)")
    return floor


FloorDep = Annotated[Floor, Depends(get_floor)]


def publish_to_floor(
    session: Session,
    floor: Floor,
    store_id: int,
    event_type: str,
    payload: dict[str, Any],
    *,
    also_staff_ids: Iterable[int] = (),
    now: datetime | None = None,
    event_id: str | None = None,
) -> list[tuple[int, int]]:
    """Send an event to everyone on the store's floor and to `also_staff_ids` wherever they are.

    Each recipient's copy is stored with their next sequence number in `session`'s transaction and
    fanned out after it commits (nothing is sent if it rolls back); staff who are offline get it when
    they reconnect with `?since=`. Returns the (staff_id, seq) of every copy, by staff id. `event_id`:
    the caller's UUID for the event (one is made up otherwise).
    On PostgreSQL the recipients' counters stay locked until commit: publish last in the transaction.
    """
    try:
        check_event_type(event_type)
        body = json.loads(json.dumps(payload))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"cannot publish to the floor: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidInput("cannot publish to the floor: the payload must be a JSON object")
    if not store_exists(session, store_id):
        raise NotFound(f"store {store_id} does not exist")
    recipients = floor.presence.staff_on_floor(store_id) | {int(s) for s in also_staff_ids}
    if not recipients:
        return []
    envelopes = store.append_event(
        session,
        event_id=event_id or str(uuid.uuid4()),
        event_type=event_type,
        store_id=store_id,
        payload=body,
        recipients=recipients,
        now=now or utcnow(),
    )
    _fan_out_after_commit(session, floor, envelopes)
    return [(e.staff_id, e.seq) for e in envelopes]


def prune_now(context: AppContext, now: datetime | None = None) -> int:
    """Job: delete floor events older than 24 hours in one committed unit of work; returns the count."""
    with session_scope(context.sessions) as session:
        return store.prune_floor_events(session, now or utcnow())


def _fan_out_after_commit(session: Session, floor: Floor, envelopes: list[Envelope]) -> None:
    pending: list[tuple[Floor, list[Envelope]]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _on_commit)
        # Any rollback (even of a savepoint) forgets what is pending: an event may then arrive only by
        # replay, but an event that was rolled back can never be announced.
        event.listen(session, "after_soft_rollback", _on_rollback)
    pending.append((floor, envelopes))


def _on_commit(session: Session) -> None:
    pending: list[tuple[Floor, list[Envelope]]] = session.info.get(_PENDING) or []
    session.info[_PENDING] = []
    for floor, envelopes in pending:
        floor.broker.publish(envelopes)


def _on_rollback(session: Session, _previous: Any) -> None:
    session.info[_PENDING] = []
