"""The nightly job as chunks that several workers share: a chain with millions of members adds workers.

The first worker to start a night plans it: one `job_chunks` row per step and range of
`nightly_chunk_members` members by id, in the steps' order, plus a "plan" row that holds the night's
moment (every chunk runs as of it, whichever worker and whenever). Each worker then claims a due chunk of
the lowest unfinished step (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: its single writer), runs the step
for the chunk's members and marks the chunk done in the same transaction; a worker that dies mid-chunk
rolls back, and the chunk is claimed again. When every chunk it could claim is taken, a worker waits for
the others (the next step's chunks open when the last of this step's is done), then reports the night.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from server.db.base import utcnow
from server.db.queries import IdRange
from server.db.session import serialise_member, session_scope
from server.jobs import repository as repo
from server.jobs.nightly import STEP_NAMES, STEPS, NightlyReport, report_of, run_step
from server.loyalty.config import benefit_rows

JOB = "nightly"


def run_key(now: datetime) -> str:
    """The business day a night's chunks are filed under."""
    return now.date().isoformat()


@dataclass
class SharedNight:
    """What one worker saw of a shared night: whether it planned it, the chunks it did, the night's report
    (every chunk done so far, by any worker) and how many chunks were left when it stopped."""

    run_key: str
    as_of: datetime
    planned_here: bool
    chunks_done_here: int
    chunks_left: int
    report: NightlyReport

    def as_dict(self) -> dict[str, Any]:
        """The night's report with the worker's share, JSON-ready."""
        return self.report.as_dict() | {
            "shared": {
                "run_key": self.run_key,
                "as_of": self.as_of.isoformat(),
                "planned_here": self.planned_here,
                "chunks_done_here": self.chunks_done_here,
                "chunks_left": self.chunks_left,
            }
        }


def _chunks(bounds: list[int]) -> list[IdRange]:
    """Ranges ending at each bound, and an open one after the last (members who join tonight too)."""
    los = [0, *bounds]
    return [IdRange(lo, hi) for lo, hi in zip(los, [*bounds, None], strict=True)]


def plan_night(session: Session, now: datetime, size: int) -> bool:
    """Insert the night's chunks unless a worker has already; True when this call planned the night."""
    serialise_member(session, None)  # SQLite: one writer, so two planners cannot interleave
    key = run_key(now)
    if repo.plan(session, JOB, key) is not None:
        return False
    if not repo.add_plan(session, JOB, key, {"as_of": now.isoformat(), "size": size}, utcnow()):
        return False
    # Stored on first use: seeded here, once, rather than by two benefit chunks racing on its unique code.
    benefit_rows(session)
    ranges = _chunks(repo.member_bounds(session, size))
    rows: list[dict[str, Any]] = [
        {
            "job": JOB,
            "run_key": key,
            "step": step.name,
            "step_index": index,
            "lo": part.lo,
            "hi": part.hi,
            "status": "due",
            "created_at": utcnow(),
            "figures": {},
        }
        for index, step in enumerate(STEPS)
        for part in (ranges if step.member_wise else [IdRange()])
    ]
    repo.add_chunks(session, rows)
    return True


def work_one_chunk(session: Session, key: str, as_of: datetime) -> str | None:
    """Claim a due chunk of the night, run its step and mark it done (the caller commits); the step's name,
    or None when no chunk can be claimed now (all done, or the rest claimed by other workers)."""
    serialise_member(session, None)  # SQLite: the write lock from the claim to the commit
    chunk = repo.claim(session, JOB, key)
    if chunk is None:
        return None
    figures = run_step(session, STEP_NAMES[chunk.step], as_of, IdRange(chunk.lo, chunk.hi))
    repo.mark_done(session, chunk.id, figures, utcnow())
    return chunk.step


def help_with_nights(sessions: sessionmaker[Session]) -> int:
    """`aisle worker`'s round: one due chunk of a night that `--share` planned, if any; chunks done (0/1)."""
    with session_scope(sessions) as session:
        key = repo.oldest_due_run(session, JOB)
        plan = repo.plan(session, JOB, key) if key is not None else None
        if key is None or plan is None:
            return 0
        return 1 if work_one_chunk(session, key, datetime.fromisoformat(plan.figures["as_of"])) else 0


def night_report(session: Session, key: str) -> NightlyReport:
    """The night's report folded from every chunk done so far, in the steps' order."""
    return report_of(chunk.figures for chunk in repo.done_chunks(session, JOB, key))


def share_night(
    sessions: sessionmaker[Session],
    now: datetime,
    size: int,
    *,
    wait: bool = True,
    pause: Callable[[], None] | None = None,
) -> SharedNight:
    """Plan the night if no worker has, then do chunks, each in its own transaction, until none is left.

    With `wait`, a worker that finds every remaining chunk claimed calls `pause` (default: a second's
    sleep) and looks again, until all are done; without it, it stops there."""
    pause = pause or (lambda: time.sleep(1.0))
    key = run_key(now)
    with session_scope(sessions) as session:
        planned = plan_night(session, now, size)
        plan = repo.plan(session, JOB, key)
        if plan is None:  # cannot happen: planned by this call or by the worker whose plan it waited for
            raise RuntimeError(f"the night {key} has no plan")
        as_of = datetime.fromisoformat(plan.figures["as_of"])
    done = 0
    while True:
        with session_scope(sessions) as session:
            if work_one_chunk(session, key, as_of) is not None:
                done += 1
                continue
            left = repo.due_count(session, JOB, key)
        if left == 0 or not wait:
            break
        pause()
    with session_scope(sessions) as session:
        report = night_report(session, key)
    return SharedNight(key, as_of, planned, done, left, report)
