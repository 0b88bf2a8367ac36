"""All SQL of the live floor: sequence numbers, the per-staff event log, replay and pruning.

An event is written with its body once and its recipients' numbered copies as ONE pending row (a few
pages of the database log, however many clerks are on the floor); `file_copies` later moves the
copies of a batch of events into `floor_event_runs`, one row per recipient holding their numbers in
that batch. Replay reads the filed copies and the pending ones, so a copy is found whether or not it
has been filed yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, Table, Text, bindparam, column, delete, insert, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from server.db.base import UTCDateTime
from server.db.session import core
from server.db.tables import FloorEventBody, FloorEventCounter, FloorEventPending, FloorEventRun
from server.realtime.events import Envelope, SharedText

_BODIES = cast(Table, FloorEventBody.__table__)
_PENDING = cast(Table, FloorEventPending.__table__)
# The run rows as filing writes them: `copies` is the JSON text the database built, passed through
# as is (no parameter processing or cast, so PostgreSQL reads the untyped text as json).
_RUNS_AS_BUILT = table(
    "floor_event_runs",
    column("staff_id"),
    column("first_seq"),
    column("last_seq"),
    column("newest_at", UTCDateTime),
    column("copies", NullType()),
)
# Missed events are kept at least this long (the prune job deletes older ones).
RETENTION = timedelta(hours=24)
REPLAY_BATCH = 500
# Events whose copies one filing transaction moves: each recipient's run row gets this many numbers.
FILE_BATCH = 64
# The counters of every recipient moved on in one upsert, per dialect: a new counter starts at 1, an
# existing one moves on by one, rows taken in staff-id order. The recipients travel as ONE JSON array
# parameter: for 200 recipients the upsert as a 200-row VALUES list took 1.1-1.25 ms, this 0.41-0.59 ms.
_BUMP = (
    " ON CONFLICT (staff_id) DO UPDATE SET last_seq = floor_event_counters.last_seq + 1 "
    "RETURNING staff_id, last_seq"
)
_ALLOCATE = {
    # "WHERE true": SQLite's documented way to keep ON CONFLICT from being read as a join's ON.
    "sqlite": text(
        "INSERT INTO floor_event_counters (staff_id, last_seq) "
        "SELECT value, 1 FROM json_each(:ids) WHERE true ORDER BY value" + _BUMP
    ),
    "postgresql": text(
        "INSERT INTO floor_event_counters (staff_id, last_seq) "
        "SELECT CAST(value AS BIGINT), 1 FROM json_array_elements_text(CAST(:ids AS JSON)) AS ids(value) "
        "ORDER BY 1" + _BUMP
    ),
}
_INSERT_BODY = insert(_BODIES)
_INSERT_PENDING = insert(_PENDING)
# Filing, per dialect: the pending copies ([staff_id, seq] each) of the chosen events unpacked and
# grouped by recipient by the database (no Python per copy): one run per recipient.
_RUNS_OF = {
    "sqlite": "SELECT json_extract(c.value, '$[0]') AS staff_id, "
    "min(json_extract(c.value, '$[1]')) AS first_seq, "
    "max(json_extract(c.value, '$[1]')) AS last_seq, max(b.created_at) AS newest_at, "
    "json_group_array(json_array(json_extract(c.value, '$[1]'), p.event_id)) AS copies "
    "FROM floor_event_pending p JOIN floor_event_bodies b ON b.event_id = p.event_id, "
    "json_each(p.copies) AS c WHERE p.event_id IN :ids GROUP BY json_extract(c.value, '$[0]')",
    "postgresql": "SELECT (c.value->>0)::bigint AS staff_id, min((c.value->>1)::bigint) AS first_seq, "
    "max((c.value->>1)::bigint) AS last_seq, max(b.created_at) AS newest_at, "
    "json_agg(json_build_array((c.value->>1)::bigint, p.event_id))::text AS copies "
    "FROM floor_event_pending p JOIN floor_event_bodies b ON b.event_id = p.event_id "
    "CROSS JOIN LATERAL json_array_elements(p.copies) AS c(value) "
    "WHERE p.event_id IN :ids GROUP BY (c.value->>0)::bigint",
}
_RUNS_OF_SQL = {
    dialect: text(sql)
    .bindparams(bindparam("ids", expanding=True))
    .columns(
        column("staff_id", BigInteger),
        column("first_seq", BigInteger),
        column("last_seq", BigInteger),
        column("newest_at", UTCDateTime),
        column("copies", Text),
    )
    for dialect, sql in _RUNS_OF.items()
}
# One staff member's pending copies, per dialect: (event_id, seq) above a number.
_PENDING_OF = {
    "sqlite": text(
        "SELECT p.event_id, json_extract(c.value, '$[1]') FROM floor_event_pending p, "
        "json_each(p.copies) AS c "
        "WHERE json_extract(c.value, '$[0]') = :staff_id AND json_extract(c.value, '$[1]') > :after"
    ),
    "postgresql": text(
        "SELECT p.event_id, (c.value->>1)::bigint FROM floor_event_pending p "
        "CROSS JOIN LATERAL json_array_elements(p.copies) AS c(value) "
        "WHERE (c.value->>0)::bigint = :staff_id AND (c.value->>1)::bigint > :after"
    ),
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
    # _dialect refuses a database the live floor does not support.
    result = core(session).execute(_ALLOCATE[_dialect(session)], {"ids": json.dumps(ids)})
    return {int(staff_id): int(seq) for staff_id, seq in result}


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
    connection = core(session)
    connection.execute(_INSERT_BODY, body | {"created_at": now})
    copies = sorted(seqs.items())
    connection.execute(_INSERT_PENDING, {"event_id": event_id, "copies": [list(c) for c in copies]})
    text = SharedText()
    return [
        Envelope(staff_id, seq, event_id, event_type, store_id, now, payload, text)
        for staff_id, seq in copies
    ]


def last_seq(session: Session, staff_id: int) -> int:
    """The newest sequence number handed out to the staff member (0 before their first event)."""
    value = session.scalar(select(FloorEventCounter.last_seq).where(FloorEventCounter.staff_id == staff_id))
    return int(value or 0)


@dataclass(frozen=True)
class Batch:
    """Pending events to file, and their copies grouped into one run per recipient."""

    event_ids: list[str]
    runs: list[dict[str, Any]]


class StaleBatch(Exception):
    """The batch's pending rows changed since it was read (another process filed some of them)."""


def pending_batch(session: Session, batch: int = FILE_BATCH) -> Batch:
    """Read up to `batch` pending events, oldest first, and their copies grouped per recipient.

    Only reads: on SQLite the grouping (tens of milliseconds for a large batch) runs without holding
    the write lock that arrivals need; `file_batch` then writes the result in a short transaction.
    """
    ids = list(
        session.scalars(
            select(FloorEventPending.event_id)
            .join(FloorEventBody, FloorEventBody.event_id == FloorEventPending.event_id)
            .order_by(FloorEventBody.created_at, FloorEventPending.event_id)
            .limit(batch)
        )
    )
    if not ids:
        return Batch([], [])
    rows = session.execute(_RUNS_OF_SQL[_dialect(session)], {"ids": ids}).mappings()
    return Batch(ids, [dict(row) for row in rows])


def file_batch(session: Session, pending: Batch) -> None:
    """Write a batch read by `pending_batch`: its runs in, its pending rows out, in one transaction.

    StaleBatch when the pending rows are no longer all there (another process filed them meanwhile):
    the caller rolls back and reads again, so nothing is filed twice or lost.
    """
    if not pending.event_ids:
        return
    gone = session.execute(delete(_PENDING).where(_PENDING.c.event_id.in_(pending.event_ids)))
    if int(getattr(gone, "rowcount", 0) or 0) != len(pending.event_ids):
        raise StaleBatch(f"{len(pending.event_ids)} pending event(s) changed while being filed")
    if pending.runs:
        session.execute(insert(_RUNS_AS_BUILT), pending.runs)


def file_copies(session: Session, batch: int = FILE_BATCH) -> int:
    """File the copies of up to `batch` pending events in the caller's transaction; the number filed.

    Each recipient gets one `floor_event_runs` row with their numbers in the batch: the transaction
    touches each recipient's page of the log once per batch, not once per event.
    """
    pending = pending_batch(session, batch)
    file_batch(session, pending)
    return len(pending.event_ids)


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _RUNS_OF:
        raise NotImplementedError(f"the live floor supports SQLite and PostgreSQL, not {name}")
    return name


def _numbers_after(session: Session, staff_id: int, after: int, upto: int | None) -> dict[int, str]:
    """The staff member's copies numbered above `after` (up to `upto`), pending or filed: seq -> event.

    Pending copies are read before filed ones: a copy filed between the two reads is then seen twice
    (and kept once), never missed. Every copy above `after` is in a run whose last number is above it.
    """
    found: dict[int, str] = {}
    params = {"staff_id": staff_id, "after": after}
    for event_id, seq in session.execute(_PENDING_OF[_dialect(session)], params):
        found[int(seq)] = event_id
    runs = select(FloorEventRun.copies).where(
        FloorEventRun.staff_id == staff_id, FloorEventRun.last_seq > after
    )
    if upto is not None:
        runs = runs.where(FloorEventRun.first_seq <= upto)
    for copies in session.scalars(runs):
        for seq, event_id in copies:
            if seq > after:
                found.setdefault(int(seq), event_id)
    return {seq: e for seq, e in found.items() if upto is None or seq <= upto}


def events_after(
    session: Session, staff_id: int, after: int, upto: int | None = None, limit: int = REPLAY_BATCH
) -> list[Envelope]:
    """The staff member's events numbered above `after` (and up to `upto`), oldest first, at most `limit`.

    A copy whose body has been pruned is left out (the client is told its replay is incomplete), and
    does not count towards `limit`: a batch shorter than `limit` means there is nothing more.
    """
    numbers = sorted(_numbers_after(session, staff_id, after, upto).items())
    found: list[Envelope] = []
    for start in range(0, len(numbers), limit):
        chunk = numbers[start : start + limit]
        wanted = {event_id for _, event_id in chunk}
        bodies = {
            body.event_id: body
            for body in session.scalars(select(FloorEventBody).where(FloorEventBody.event_id.in_(wanted)))
        }
        found += [
            Envelope(
                staff_id=staff_id,
                seq=seq,
                event_id=event_id,
                event_type=bodies[event_id].event_type,
                store_id=bodies[event_id].store_id,
                occurred_at=bodies[event_id].created_at,
                payload=bodies[event_id].payload,
            )
            for seq, event_id in chunk
            if event_id in bodies
        ]
        if len(found) >= limit:
            break
    return found[:limit]


def prune_floor_events(session: Session, now: datetime, keep: timedelta = RETENTION) -> int:
    """Delete events and their copies older than `keep` (24 hours by default); the number of events.

    A run is deleted once its newest event is past `keep`; until then its older copies may outlive
    their bodies, and replay skips them.
    """
    if keep < RETENTION:
        raise ValueError(f"floor events are kept at least {RETENTION}; got keep={keep}")
    cutoff = now - keep
    old = select(FloorEventBody.event_id).where(FloorEventBody.created_at < cutoff)
    session.execute(delete(FloorEventPending).where(FloorEventPending.event_id.in_(old)))
    session.execute(delete(FloorEventRun).where(FloorEventRun.newest_at < cutoff))
    result = session.execute(delete(FloorEventBody).where(FloorEventBody.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
