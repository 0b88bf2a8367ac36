"""SQL for shared runs of a job: planning a run's chunks once, claiming the next one, marking it done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.tables import JobChunk, Member

PLAN = "plan"


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_plan(session: Session, job: str, run_key: str, figures: dict[str, Any], now: datetime) -> bool:
    """Insert the run's plan row; False when another worker planned the run (PostgreSQL waits for its
    transaction to end first, so a False here means the chunks are in)."""
    row = {
        "job": job,
        "run_key": run_key,
        "step": PLAN,
        "step_index": -1,
        "lo": 0,
        "status": "done",
        "created_at": now,
        "done_at": now,
        "figures": figures,
    }
    stmt = _insert(session)(JobChunk).values(row).on_conflict_do_nothing().returning(JobChunk.id)
    return session.execute(stmt).first() is not None


def plan(session: Session, job: str, run_key: str) -> JobChunk | None:
    """The run's plan row (its moment and chunk size), if the run is planned."""
    stmt = select(JobChunk).where(JobChunk.job == job, JobChunk.run_key == run_key, JobChunk.step == PLAN)
    return session.scalars(stmt).first()


def member_bounds(session: Session, size: int) -> list[int]:
    """The id of every `size`-th member by id: the upper ends of all chunks but the open last one."""
    numbered = select(Member.id, func.row_number().over(order_by=Member.id).label("n")).subquery()
    stmt = select(numbered.c.id).where(numbered.c.n % size == 0).order_by(numbered.c.id)
    return list(session.scalars(stmt))


def add_chunks(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a run's chunks (each due)."""
    if rows:
        session.execute(_insert(session)(JobChunk).on_conflict_do_nothing(), list(rows))


def _due(job: str, run_key: str) -> Any:
    return (JobChunk.job == job, JobChunk.run_key == run_key, JobChunk.status == "due")


def claim(session: Session, job: str, run_key: str) -> JobChunk | None:
    """A due chunk of the run's lowest unfinished step, locked for this transaction (others skip it)."""
    lowest = select(func.min(JobChunk.step_index)).where(*_due(job, run_key)).scalar_subquery()
    stmt = select(JobChunk).where(*_due(job, run_key), JobChunk.step_index == lowest).order_by(JobChunk.lo)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=JobChunk)
    return session.scalars(stmt.limit(1)).first()


def mark_done(session: Session, chunk_id: int, figures: dict[str, Any], now: datetime) -> None:
    """The chunk's work is in this transaction: it is done when the transaction commits."""
    stmt = update(JobChunk).where(JobChunk.id == chunk_id).values(status="done", done_at=now, figures=figures)
    session.execute(stmt)


def oldest_due_run(session: Session, job: str) -> str | None:
    """The earliest run of `job` with a chunk not done (a night a worker can help with), if any."""
    stmt = select(func.min(JobChunk.run_key)).where(JobChunk.job == job, JobChunk.status == "due")
    return session.scalar(stmt)


def due_count(session: Session, job: str, run_key: str) -> int:
    """How many of the run's chunks are not done (claimed by a worker or waiting)."""
    stmt = select(func.count()).select_from(JobChunk).where(*_due(job, run_key))
    return int(session.scalar(stmt) or 0)


def done_chunks(session: Session, job: str, run_key: str) -> list[JobChunk]:
    """The run's finished chunks in the job's order (the plan row left out)."""
    stmt = (
        select(JobChunk)
        .where(JobChunk.job == job, JobChunk.run_key == run_key, JobChunk.status == "done")
        .where(JobChunk.step != PLAN)
        .order_by(JobChunk.step_index, JobChunk.lo)
    )
    return list(session.scalars(stmt))
