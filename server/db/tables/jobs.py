"""Scheduled work split into chunks that several workers share (the nightly job's steps over id ranges)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class JobChunk(Base):
    """One step of one run over the members with `lo` < id <= `hi` (no upper bound when `hi` is None).

    A run's chunks are inserted once, by whichever worker plans the run first; a worker claims a due chunk
    by locking its row (FOR UPDATE SKIP LOCKED; SQLite's single writer) and marks it done in the
    transaction that holds the step's effects, so a worker killed mid-chunk leaves it due for another.
    """

    __tablename__ = "job_chunks"
    __table_args__ = (
        UniqueConstraint("job", "run_key", "step", "lo", name="uq_job_chunks_step_lo"),
        Index("ix_job_chunks_due", "job", "run_key", "status", "step_index"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(40))  # "nightly"
    run_key: Mapped[str] = mapped_column(String(40))  # the business day, e.g. "2026-12-08"
    step: Mapped[str] = mapped_column(String(40))  # "plan" for the row that says the run is planned
    # The step's place in the job: no chunk is claimed while a chunk of a lower index is due.
    step_index: Mapped[int] = mapped_column(Integer)
    lo: Mapped[int] = mapped_column(BigId)
    hi: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(8), default="due")  # due, done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the chunk did (the step's counts and seconds); the plan row keeps the run's moment and size.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
