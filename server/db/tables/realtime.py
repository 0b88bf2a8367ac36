"""The live floor's event log: each event stored once in its floor's stream, and who got which copy.

A client that reconnects says the last number it saw and is sent every later copy, so the log is
what makes delivery survive a dropped connection, a restart or a switch to another server process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, utcnow


class FloorEventCounter(Base):
    """One staff member's newest sequence number (never reset, even after pruning) and newest copy.

    `stream_id`/`pos`: where in which floor's stream their newest copy is; `run_first_seq`: the number
    their current run of consecutive copies of that stream started at (server.realtime.store).
    """

    __tablename__ = "floor_event_counters"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    stream_id: Mapped[int | None] = mapped_column(BigInteger)
    pos: Mapped[int | None] = mapped_column(BigInteger)
    run_first_seq: Mapped[int | None] = mapped_column(BigInteger)


class FloorStream(Base):
    """A store floor's events in the order they were published: the newest one's position.

    `stream_id` is the store's id as a plain number: the stream outlives a deleted store, and replay
    still finds its events by (stream, position).
    """

    __tablename__ = "floor_streams"

    stream_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_pos: Mapped[int] = mapped_column(BigInteger, default=0)


class FloorEventBody(Base):
    """What happened, stored once however many staff members receive it, at its place in its stream."""

    __tablename__ = "floor_event_bodies"
    __table_args__ = (UniqueConstraint("stream_id", "pos"),)

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stream_id: Mapped[int] = mapped_column(BigInteger)
    pos: Mapped[int] = mapped_column(BigInteger)


class FloorCopyRun(Base):
    """From `first_seq` on, a staff member's copies are consecutive events of one stream.

    Copy `first_seq + i` is the event at position `first_pos + i` of stream `stream_id`, up to the
    number before the staff member's next run (or their counter's `last_seq` for the newest run). A
    clerk on a floor receives every event of its stream, so a new run starts only when that changes
    (they join a floor, or an event of another floor reaches them): publishing an event to a floor of
    200 clerks writes no per-copy rows at all, and nothing needs filing afterwards.
    """

    __tablename__ = "floor_copy_runs"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    stream_id: Mapped[int] = mapped_column(BigInteger)
    first_pos: Mapped[int] = mapped_column(BigInteger)
    # When the run started: a run is pruned once the staff member's next run started before the cutoff.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
