"""All SQL of the live floor: sequence numbers, the per-staff event log, replay and pruning.

Each store's floor has a stream: its events numbered 1, 2, 3... in the order they were published
(`floor_streams`, `floor_event_bodies.stream_id/pos`). A clerk on the floor receives every event of its
stream, so their copies are consecutive positions of that stream under consecutive sequence numbers:
one `floor_copy_runs` row says "from seq N on, stream S from position P on", and a new row is needed
only when that stops being true (the clerk joins a floor, or another floor's event reaches them). An
event for a floor of 200 clerks is written as its body plus the recipients' counters moved on, with
no per-copy rows and nothing to file later; replay turns a staff member's runs into ranges of positions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, exists, func, insert, select, text
from sqlalchemy.orm import Session, aliased

from server.db.session import core
from server.db.tables import FloorCopyRun, FloorEventBody, FloorEventCounter
from server.realtime.events import Envelope, SharedText

_BODIES = cast(Table, FloorEventBody.__table__)
_RUNS = cast(Table, FloorCopyRun.__table__)
# Missed events are kept at least this long (the prune job deletes older ones).
RETENTION = timedelta(hours=24)
REPLAY_BATCH = 500
# The floor's next position; on PostgreSQL the stream's row stays locked until commit, so events of
# one floor commit in the order of their positions.
_ADVANCE_STREAM = text(
    "INSERT INTO floor_streams (stream_id, last_pos) VALUES (:stream, 1) "
    "ON CONFLICT (stream_id) DO UPDATE SET last_pos = floor_streams.last_pos + 1 RETURNING last_pos"
)
# The counters of every recipient moved on in one upsert, per dialect: a new counter starts at 1, an
# existing one moves on by one, rows taken in staff-id order. A recipient whose newest copy was the
# stream's previous event continues their run; anyone else starts a new one at this number (every
# expression of SET reads the row as it was). The recipients travel as ONE JSON array parameter, which
# binds far faster than a VALUES list of a row each (measured in docs/performance.md).
_BUMP = (
    " ON CONFLICT (staff_id) DO UPDATE SET last_seq = floor_event_counters.last_seq + 1, "
    "run_first_seq = CASE WHEN floor_event_counters.stream_id = excluded.stream_id "
    "AND floor_event_counters.pos = excluded.pos - 1 THEN floor_event_counters.run_first_seq "
    "ELSE floor_event_counters.last_seq + 1 END, "
    "stream_id = excluded.stream_id, pos = excluded.pos "
    "RETURNING staff_id, last_seq, run_first_seq"
)
_COUNTERS = "INSERT INTO floor_event_counters (staff_id, last_seq, stream_id, pos, run_first_seq) "
_ALLOCATE = {
    # "WHERE true": SQLite's documented way to keep ON CONFLICT from being read as a join's ON.
    "sqlite": text(
        _COUNTERS + "SELECT value, 1, :stream, :pos, 1 FROM json_each(:ids) WHERE true ORDER BY value" + _BUMP
    ),
    "postgresql": text(
        _COUNTERS + "SELECT CAST(value AS BIGINT), 1, CAST(:stream AS BIGINT), CAST(:pos AS BIGINT), 1 "
        "FROM json_array_elements_text(CAST(:ids AS JSON)) AS ids(value) ORDER BY 1" + _BUMP
    ),
}
_INSERT_BODY = insert(_BODIES)
_INSERT_RUN = insert(_RUNS)


def append_event(
    session: Session,
    *,
    event_id: str,
    event_type: str,
    store_id: int,
    payload: dict[str, Any],
    recipients: Iterable[int],
    now: datetime,
) -> list[Envelope]:
    """Log the event once, at the next position of the store's stream, and number a copy for each recipient.

    The recipients' counters move on atomically in the current transaction (on PostgreSQL their rows
    and the stream's stay locked until commit, so a second publisher waits and numbers commit in order
    without gaps; rows are taken stream first, then staff by id, so two publishers cannot deadlock).
    Returns every copy's envelope, by staff id.
    """
    ids = sorted({int(staff_id) for staff_id in recipients})
    if not ids:
        return []
    connection = core(session)
    pos = int(connection.execute(_ADVANCE_STREAM, {"stream": store_id}).scalar_one())
    numbered = connection.execute(
        _ALLOCATE[_dialect(session)], {"ids": json.dumps(ids), "stream": store_id, "pos": pos}
    ).all()
    runs = [
        {"staff_id": staff_id, "first_seq": seq, "stream_id": store_id, "first_pos": pos, "started_at": now}
        for staff_id, seq, run_first_seq in numbered
        if run_first_seq == seq
    ]
    if runs:
        connection.execute(_INSERT_RUN, runs)
    body = {"event_id": event_id, "event_type": event_type, "store_id": store_id, "payload": payload}
    connection.execute(_INSERT_BODY, body | {"created_at": now, "stream_id": store_id, "pos": pos})
    text = SharedText()
    return [
        Envelope(int(staff_id), int(seq), event_id, event_type, store_id, now, payload, text)
        for staff_id, seq, _ in sorted(numbered)
    ]


def last_seq(session: Session, staff_id: int) -> int:
    """The newest sequence number handed out to the staff member (0 before their first event)."""
    value = session.scalar(select(FloorEventCounter.last_seq).where(FloorEventCounter.staff_id == staff_id))
    return int(value or 0)


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _ALLOCATE:
        raise NotImplementedError(f"the live floor supports SQLite and PostgreSQL, not {name}")
    return name


def _spans_after(
    session: Session, staff_id: int, after: int, upto: int | None
) -> list[tuple[int, int, int, int]]:
    """The staff member's copies above `after` (up to `upto`): (first seq, last seq, stream, first position).

    The counter is read before the runs: a run started by an event published meanwhile begins above
    it and is left for the next read, and every body of a number up to it is already committed.
    """
    newest = last_seq(session, staff_id)
    top = newest if upto is None else min(upto, newest)
    if top <= after:
        return []
    # The run holding `after + 1` (the newest one starting at or below it), and every later one.
    earlier = aliased(FloorCopyRun)
    holding = (
        select(func.max(earlier.first_seq))
        .where(earlier.staff_id == staff_id, earlier.first_seq <= after + 1)
        .scalar_subquery()
    )
    runs = session.execute(
        select(FloorCopyRun.first_seq, FloorCopyRun.stream_id, FloorCopyRun.first_pos)
        .where(
            FloorCopyRun.staff_id == staff_id,
            FloorCopyRun.first_seq <= top,
            FloorCopyRun.first_seq >= func.coalesce(holding, 0),
        )
        .order_by(FloorCopyRun.first_seq)
    ).all()
    spans = []
    for i, (first_seq, stream_id, first_pos) in enumerate(runs):
        end = runs[i + 1].first_seq - 1 if i + 1 < len(runs) else top
        start = max(first_seq, after + 1)
        if start <= end:
            spans.append((start, end, stream_id, first_pos + start - first_seq))
    return spans


def events_after(
    session: Session, staff_id: int, after: int, upto: int | None = None, limit: int = REPLAY_BATCH
) -> list[Envelope]:
    """The staff member's events numbered above `after` (and up to `upto`), oldest first, at most `limit`.

    A copy whose body has been pruned is left out (the client is told its replay is incomplete), and
    does not count towards `limit`: a batch shorter than `limit` means there is nothing more.
    """
    found: list[Envelope] = []
    # One indexed range read per run, each stopping at what the batch still needs: a clerk's copies are
    # usually one or two long runs. A single join across the runs would order every copy of the day
    # before applying the limit.
    for first_seq, last, stream_id, first_pos in _spans_after(session, staff_id, after, upto):
        bodies = session.scalars(
            select(FloorEventBody)
            .where(
                FloorEventBody.stream_id == stream_id,
                FloorEventBody.pos.between(first_pos, first_pos + last - first_seq),
            )
            .order_by(FloorEventBody.pos)
            .limit(limit - len(found))
        )
        found += [
            Envelope(
                staff_id=staff_id,
                seq=first_seq + body.pos - first_pos,
                event_id=body.event_id,
                event_type=body.event_type,
                store_id=body.store_id,
                occurred_at=body.created_at,
                payload=body.payload,
            )
            for body in bodies
        ]
        if len(found) >= limit:
            break
    return found


def prune_floor_events(session: Session, now: datetime, keep: timedelta = RETENTION) -> int:
    """Delete events older than `keep` (24 hours by default) and runs that held only those; the event count.

    A run ends where the staff member's next one starts: once that start is past `keep`, every event of
    the run is too. Each staff member's newest run is kept (it is where their next copy may continue).
    """
    if keep < RETENTION:
        raise ValueError(f"floor events are kept at least {RETENTION}; got keep={keep}")
    cutoff = now - keep
    later = aliased(FloorCopyRun)
    ended = exists().where(
        later.staff_id == FloorCopyRun.staff_id,
        later.first_seq > FloorCopyRun.first_seq,
        later.started_at < cutoff,
    )
    session.execute(delete(FloorCopyRun).where(ended))
    result = session.execute(delete(FloorEventBody).where(FloorEventBody.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
