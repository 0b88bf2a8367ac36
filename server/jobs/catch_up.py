"""Bringing loyalty up to date with imported history: backfill the ledger, then one nightly pass.

The pass runs "as of" the day after the data ends (or now, if the data is recent), so members of a
historical data set get the tiers, points and tags they would have had then. Recorded as an import run,
so running it again the same day with nothing new to apply does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.words import counted
from server.db.base import utcnow
from server.db.tables import ImportRun, Transaction
from server.jobs.nightly import NightlyReport, run_nightly
from server.loyalty.backfill import BackfillReport, backfill_loyalty, pending

SOURCE = "loyalty-catch-up"
# How a caller watches the two long steps (`aisle demo` prints them): called with what the step is about
# to do, it gives a context manager around the step whose value takes the sentence saying what it did.
Step = Callable[[str], AbstractContextManager[Callable[[str], None]]]


def data_as_of(session: Session, wall: datetime | None = None) -> datetime | None:
    """Midnight (UTC) after the last transaction's day, or the wall clock if that is earlier."""
    last = session.scalar(select(func.max(Transaction.occurred_at)))
    if last is None:
        return None
    following = datetime.combine(last.date() + timedelta(days=1), datetime.min.time(), UTC)
    return min(following, wall or utcnow())


@dataclass
class CatchUp:
    """What `catch_up` did: the moment it judged from, the backfill, and the nightly pass (None: skipped)."""

    as_of: datetime | None
    backfill: BackfillReport = field(default_factory=BackfillReport)
    nightly: dict[str, Any] | None = None


@contextmanager
def _quietly(_doing: str) -> Iterator[Callable[[str], None]]:
    yield lambda _done: None


def catch_up(session: Session, wall: datetime | None = None, step: Step | None = None) -> CatchUp:
    """Backfill the ledger, then run the nightly pass as of the day after the data ends; once per day.

    `step` is told as the backfill and the nightly pass start and end (each takes seconds on a demo)."""
    as_of = data_as_of(session, wall)
    result = CatchUp(as_of)
    if as_of is None:
        return result
    day = as_of.date().isoformat()
    ran = session.scalar(select(ImportRun.id).where(ImportRun.source == SOURCE, ImportRun.path == day))
    todo = pending(session, as_of)
    if ran is not None and todo == 0:
        return result
    step = step or _quietly
    started = utcnow()
    with step(f"Loyalty: applying {counted(todo, 'transaction')} to points and tiers") as done:
        backfill = result.backfill = backfill_loyalty(session, as_of)
        done(
            f"Loyalty: applied {counted(backfill.transactions, 'transaction')} of "
            f"{counted(backfill.members, 'member')} to points and tiers "
            f"({counted(backfill.tier_changes, 'tier change')})"
        )
    with step(f"Nightly pass as of {day}: points expiry, tier review, tags, alerts") as done:
        nightly = run_nightly(session, as_of)
        result.nightly = _plain(nightly.as_dict())
        done(f"Ran the nightly pass as of {day}: {_nightly_text(nightly)}")
    summary = {"as_of": as_of.isoformat(), "backfill": result.backfill.as_dict(), "nightly": result.nightly}
    session.add(ImportRun(source=SOURCE, path=day, started_at=started, finished_at=utcnow(), summary=summary))
    session.flush()
    return result


def _nightly_text(report: NightlyReport) -> str:
    parts = []
    if report.tiers is not None:
        tiers = report.tiers
        parts.append(f"{counted(tiers.upgraded, 'tier upgrade')}, {counted(tiers.downgraded, 'downgrade')}")
    if report.tags is not None:
        parts.append(f"{counted(report.tags.added, 'tag')} added, {report.tags.removed} removed")
    parts.append(counted(report.heat_alerts, "heat alert"))
    return ", ".join(parts)


def _plain(value: Any) -> Any:
    """A JSON-safe copy: the nightly report holds Decimals and dates."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)
