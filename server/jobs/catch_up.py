"""Bringing loyalty up to date with imported history: backfill the ledger, then one nightly pass.

The pass runs "as of" the day after the data ends (or now, if the data is recent), so members of a
historical data set get the tiers, points and tags they would have had then. Recorded as an import run,
so running it again the same day with nothing new to apply does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.base import utcnow
from server.db.tables import ImportRun, Transaction
from server.jobs.nightly import run_nightly
from server.loyalty.backfill import BackfillReport, backfill_loyalty, pending

SOURCE = "loyalty-catch-up"


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


def catch_up(session: Session, wall: datetime | None = None) -> CatchUp:
    """Backfill the ledger, then run the nightly pass as of the day after the data ends; once per day."""
    as_of = data_as_of(session, wall)
    result = CatchUp(as_of)
    if as_of is None:
        return result
    day = as_of.date().isoformat()
    done = session.scalar(select(ImportRun.id).where(ImportRun.source == SOURCE, ImportRun.path == day))
    if done is not None and pending(session, as_of) == 0:
        return result
    started = utcnow()
    result.backfill = backfill_loyalty(session, as_of)
    result.nightly = _plain(run_nightly(session, as_of).as_dict())
    summary = {"as_of": as_of.isoformat(), "backfill": result.backfill.as_dict(), "nightly": result.nightly}
    session.add(ImportRun(source=SOURCE, path=day, started_at=started, finished_at=utcnow(), summary=summary))
    session.flush()
    return result


def _plain(value: Any) -> Any:
    """A JSON-safe copy: the nightly report holds Decimals and dates."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)
