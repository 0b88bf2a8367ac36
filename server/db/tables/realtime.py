"""The live floor's event log: each event stored once, and each recipient's numbered copy of it.

A client that reconnects says the last number it saw and is sent every later copy, so the log is
what makes delivery survive a dropped connection, a restart or a switch to another server process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, utcnow


class FloorEventCounter(Base):
    """The last sequence number handed out to one staff member (never reset, even after pruning)."""

    __tablename__ = "floor_event_counters"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class FloorEventBody(Base):
    """What happened, stored once however many staff members receive it."""

    __tablename__ = "floor_event_bodies"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FloorEventPending(Base):
    """An event's numbered copies as written with it: [[staff_id, seq], ...], until they are filed.

    The arrival's transaction writes this one row whatever the number of recipients; a background job
    later files the copies of many events at once into `floor_event_runs` (server.realtime.store).
    Replay reads both.
    """

    __tablename__ = "floor_event_pending"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("floor_event_bodies.event_id", ondelete="CASCADE"), primary_key=True
    )
    copies: Mapped[list[list[int]]] = mapped_column(JSON)


class FloorEventRun(Base):
    """One staff member's copies of one filed batch of events: [[seq, event_id], ...], by their number.

    A row per copy put each recipient's copy in a different page of the (staff, seq) index: for a floor
    of 200 clerks, a megabyte of SQLite log per event, and a fifth of a core spent filing at 30 arrivals
    a second. A row per staff member per batch touches the same pages once for the whole batch.
    Every copy numbered above N sits in a row whose `last_seq` is above N, which is what replay reads.
    """

    __tablename__ = "floor_event_runs"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    # The newest event's time: the row is pruned once even that one is past the retention period.
    newest_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    copies: Mapped[list[list[Any]]] = mapped_column(JSON)
