"""All SQL of the live floor: sequence numbers, the per-staff event log, replay and pruning.

An event is written with its body once and its recipients' numbered copies as ONE pending row (a few
pages of the database log, however many clerks are on the floor); `file_copies` later moves the
copies of many events at once into `floor_events`, one indexed row per (staff, seq). Replay reads the
filed copies and the pending ones, so a copy is found whether or not it has been filed yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from server.db.rows import insert_rows
from server.db.tables import FloorEvent, FloorEventBody, FloorEventCounter, FloorEventPending
from server.realtime.events import Envelope, SharedText

_COUNTERS = cast(Table, FloorEventCounter.__table__)
_BODIES = cast(Table, FloorEventBody.__table__)
_PENDING = cast(Table, FloorEventPending.__table__)
# Missed events are kept at least this long (the prune job deletes older ones).
RETENTION = timedelta(hours=24)
REPLAY_BATCH = 500
# Events whose copies one filing transaction moves: short enough not to hold SQLite's write lock long.
FILE_BATCH = 4
# The counter upsert's tail: a new counter starts at 1, an existing one moves on by one.
_BUMP = (
    "ON CONFLICT (staff_id) DO UPDATE SET last_seq = floor_event_counters.last_seq + 1 "
    "RETURNING staff_id, last_seq"
)
_FILE_INTO = "INSERT INTO floor_events (staff_id, seq, event_id, created_at) "
_FILE_FROM = (
    "FROM floor_event_pending p JOIN floor_event_bodies b ON b.event_id = p.event_id{each} "
    "WHERE p.event_id IN :ids ON CONFLICT (staff_id, seq) DO NOTHING"
)
# Pending copies unpacked in SQL, per dialect: each element of `copies` is [staff_id, seq].
_FILE = {
    "sqlite": text(
        _FILE_INTO
        + "SELECT json_extract(c.value, '$[0]'), json_extract(c.value, '$[1]'), p.event_id, b.created_at "
        + _FILE_FROM.format(each=", json_each(p.copies) AS c")
    ).bindparams(bindparam("ids", expanding=True)),
    "postgresql": text(
        _FILE_INTO
        + "SELECT (c.value->>0)::bigint, (c.value->>1)::bigint, p.event_id, b.created_at "
        + _FILE_FROM.format(each=" CROSS JOIN LATERAL json_array_elements(p.copies) AS c(value)")
    ).bindparams(bindparam("ids", expanding=True)),
}


def allocate_seqs(session: Session, staff_ids: Iterable[int]) -> dict[int, int]:
    """The next sequence number of each staff member, taken atomically in the current transaction.

    One upsert increments every counter row (creating missing ones) and returns the new values. On
    PostgreSQL the rows stay locked until commit, so a second publisher waits and numbers commit in
    order without gaps; SQLite serialises writers anyway. Rows are taken in staff-id order so two
    publishers can never deadlock.
    """
    ids = sorted(set(staff_ids))
    if not ids:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"the live floor supports SQLite and PostgreSQL, not {dialect}")
    # One multi-row upsert whatever the number of recipients, rows in staff-id order, its compiled
    # form cached by row count (server.db.rows): SQLAlchemy's own executemany cost ~3 ms for 200 rows.
    results = insert_rows(
        session, _COUNTERS, {"last_seq": 1}, [(staff_id,) for staff_id in ids], ["staff_id"], _BUMP
    )
    return {int(row.staff_id): int(row.last_seq) for result in results for row in result}


def append_event(
    session: Session,
    *,
    event_id: str,
    event_type: str,
    store_id: int | None,
    payload: dict[str, Any],
    seqs: dict[int, int],
    now: datetime,
) -> list[Envelope]:
    """Store the event once and its numbered copies (staff_id -> seq) as one pending row; their envelopes."""
    body = {"event_id": event_id, "event_type": event_type, "store_id": store_id, "payload": payload}
    session.execute(insert(_BODIES), [body | {"created_at": now}])
    copies = sorted(seqs.items())
    session.execute(insert(_PENDING), [{"event_id": event_id, "copies": [list(c) for c in copies]}])
    text = SharedText()
    return [
        Envelope(staff_id, seq, event_id, event_type, store_id, now, payload, text)
        for staff_id, seq in copies
    ]


def last_seq(session: Session, staff_id: int) -> int:
    """The newest sequence number handed out to the staff member (0 before their first event)."""
    value = session.scalar(select(FloorEventCounter.last_seq).where(FloorEventCounter.staff_id == staff_id))
    return int(value or 0)


def file_copies(session: Session, batch: int = FILE_BATCH) -> int:
    """Move the copies of up to `batch` pending events into `floor_events`; the number of events moved.

    Oldest events first. The copies are unpacked by the database (one INSERT ... SELECT over the JSON
    array), so the write transaction holds no Python work per copy: on SQLite it holds the write lock
    that an arrival waits for. A copy already filed (another server process filing the same event at
    the same moment) is skipped, not doubled: (staff_id, seq) is unique.
    """
    ids = list(
        session.scalars(
            select(FloorEventPending.event_id)
            .join(FloorEventBody, FloorEventBody.event_id == FloorEventPending.event_id)
            .order_by(FloorEventBody.created_at, FloorEventPending.event_id)
            .limit(batch)
        )
    )
    if ids:
        session.execute(_FILE[session.get_bind().dialect.name], {"ids": ids})
        session.execute(delete(_PENDING).where(_PENDING.c.event_id.in_(ids)))
    return len(ids)


def _pending_after(
    session: Session, staff_id: int, after: int, upto: int | None
) -> dict[int, FloorEventBody]:
    """The staff member's copies above `after` (up to `upto`) that are not filed yet, by seq."""
    found: dict[int, FloorEventBody] = {}
    rows = session.execute(
        select(FloorEventPending.copies, FloorEventBody).join(
            FloorEventBody, FloorEventBody.event_id == FloorEventPending.event_id
        )
    )
    for copies, body in rows:
        for copy_staff, seq in copies:
            if copy_staff == staff_id and seq > after and (upto is None or seq <= upto):
                found[int(seq)] = body
    return found


def events_after(
    session: Session, staff_id: int, after: int, upto: int | None = None, limit: int = REPLAY_BATCH
) -> list[Envelope]:
    """The staff member's events numbered above `after` (and up to `upto`), oldest first.

    Pending copies are read before filed ones: a copy filed between the two reads is then seen twice
    (and kept once), never missed.
    """
    bodies = _pending_after(session, staff_id, after, upto)
    query = (
        select(FloorEvent.seq, FloorEventBody)
        .join(FloorEventBody, FloorEventBody.event_id == FloorEvent.event_id)
        .where(FloorEvent.staff_id == staff_id, FloorEvent.seq > after)
    )
    if upto is not None:
        query = query.where(FloorEvent.seq <= upto)
    for seq, body in session.execute(query.order_by(FloorEvent.seq).limit(limit)):
        bodies.setdefault(int(seq), body)
    return [
        Envelope(
            staff_id=staff_id,
            seq=seq,
            event_id=body.event_id,
            event_type=body.event_type,
            store_id=body.store_id,
            occurred_at=body.created_at,
            payload=body.payload,
        )
        for seq, body in sorted(bodies.items())[:limit]
    ]


def prune_floor_events(session: Session, now: datetime, keep: timedelta = RETENTION) -> int:
    """Delete events and their copies older than `keep` (24 hours by default); the number of events."""
    if keep < RETENTION:
        raise ValueError(f"floor events are kept at least {RETENTION}; got keep={keep}")
    cutoff = now - keep
    old = select(FloorEventBody.event_id).where(FloorEventBody.created_at < cutoff)
    session.execute(delete(FloorEventPending).where(FloorEventPending.event_id.in_(old)))
    session.execute(delete(FloorEvent).where(FloorEvent.created_at < cutoff))
    result = session.execute(delete(FloorEventBody).where(FloorEventBody.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
