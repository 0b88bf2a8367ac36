"""The live floor's event log: each event stored once, and each recipient's numbered copy of it.

A client that reconnects says the last number it saw and is sent every later copy, so the log is
what makes delivery survive a dropped connection, a restart or a switch to another server process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


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

    Filing one row per copy in `floor_events` touches a page of its (staff, seq) index per recipient:
    for an arrival on a floor of 200 clerks that was a megabyte of SQLite log per event, written while
    the member stood at the door. The copies are written here as one row instead, and a background job
    files many events' copies in one transaction (server.realtime.store.file_copies). Replay reads both.
    """

    __tablename__ = "floor_event_pending"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("floor_event_bodies.event_id", ondelete="CASCADE"), primary_key=True
    )
    copies: Mapped[list[list[int]]] = mapped_column(JSON)


class FloorEvent(Base):
    """One staff member's copy of a floor event: its number in their stream and which body it is."""

    __tablename__ = "floor_events"
    __table_args__ = (
        UniqueConstraint("staff_id", "seq"),
        Index("ix_floor_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("floor_event_bodies.event_id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
