"""Writing check-in and activity points to the ledger: once a day, once per activity, never twice.

Both are `earn` lots with their reason in `detail`; the idempotency key is the fact itself
(`check-in:<member>:<store's local day>`, `activity:<kind>:<reference>:<member>`), so a double tap, a
retry or twenty parallel requests write one entry. The member is locked first, so the streak read and
the entry written are one serialised step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from server.core.errors import InvalidInput, NotFound
from server.db.tables import PointsEntry, Store
from server.loyalty import repository as repo
from server.loyalty.activities import check_in_points, streak
from server.loyalty.config import load_config
from server.loyalty.points import expiry_date, settle_debts


@dataclass(frozen=True)
class PointsAward:
    """The ledger entry a check-in or an activity wrote (or found, when `replayed`)."""

    entry: PointsEntry
    replayed: bool
    streak: int = 0
    bonus: int = 0


def store_day(session: Session, store_id: int, now: datetime) -> date:
    """Today's date where the store is (its time zone; UTC when it names none that exists)."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"store {store_id} not found")
    try:
        return now.astimezone(ZoneInfo(store.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def add_lot(session: Session, entry: PointsEntry) -> PointsEntry:
    """Append an earn lot; it first pays back what earlier returns could not take back."""
    repo.add_entry(session, entry)
    for debt_id, paid in settle_debts(entry.points, repo.debts(session, entry.member_id)):
        repo.add_allocations(session, debt_id, [(entry.id, paid)])
    return entry


def _check_in_key(member_id: int, day: date) -> str:
    return f"check-in:{member_id}:{day.isoformat()}"


def checked_in_today(session: Session, member_id: int, store_id: int, now: datetime) -> PointsEntry | None:
    """Today's check-in entry of the member (the store's local day), if they checked in already."""
    return repo.entry_by_key(session, _check_in_key(member_id, store_day(session, store_id, now)))


def check_in(
    session: Session, member_id: int, store_id: int, now: datetime, staff_id: int | None, source: str
) -> PointsAward:
    """The member's check-in for today in the store's time zone; a second one today finds the first."""
    day = store_day(session, store_id, now)
    member = repo.lock_member(session, member_id)
    found = repo.entry_by_key(session, _check_in_key(member.id, day))
    if found is not None:
        return PointsAward(found, True, int(found.detail.get("streak", 1)), int(found.detail.get("bonus", 0)))
    rules = load_config(session)
    window = max(rules.activities.streak_days, 1)
    earlier = {
        day - timedelta(days=n)
        for n in range(1, window)
        if repo.entry_by_key(session, _check_in_key(member.id, day - timedelta(days=n))) is not None
    }
    run = streak(earlier, day)
    base, bonus = check_in_points(rules.activities, run)
    lifetime = rules.activities.lifetime_days or rules.earn.lifetime_days
    note = f"签到 check-in, day {run} in a row" + (f" (+{bonus} streak bonus)" if bonus else "")
    entry = PointsEntry(
        member_id=member.id,
        kind="earn",
        points=base + bonus,
        idempotency_key=_check_in_key(member.id, day),
        occurred_at=now,
        expires_on=expiry_date(day, lifetime),
        detail={"reason": "check_in", "day": str(day), "streak": run, "bonus": bonus, "source": source},
        note=note,
        store_id=store_id,
        staff_id=staff_id,
        created_at=now,
    )
    return PointsAward(add_lot(session, entry), False, run, bonus)


def record_activity(
    session: Session,
    member_id: int,
    kind: str,
    reference: str,
    store_id: int,
    now: datetime,
    staff_id: int | None,
) -> PointsAward:
    """Points for taking part in `kind` (an event, a survey) identified by `reference`, once per member."""
    rules = load_config(session).activities
    points = rules.activities.get(kind)
    if points is None:
        known = ", ".join(sorted(rules.activities)) or "none are configured"
        raise InvalidInput(f"kind: unknown activity {kind!r}; known: {known}")
    member = repo.lock_member(session, member_id)
    key = f"activity:{kind}:{reference}:{member.id}"
    found = repo.entry_by_key(session, key)
    if found is not None:
        return PointsAward(found, True)
    day = store_day(session, store_id, now)
    lifetime = rules.lifetime_days or load_config(session).earn.lifetime_days
    entry = PointsEntry(
        member_id=member.id,
        kind="earn",
        points=points,
        idempotency_key=key,
        occurred_at=now,
        expires_on=expiry_date(day, lifetime),
        detail={"reason": kind, "reference": reference},
        note=f"{kind.replace('_', ' ')}: {reference}",
        store_id=store_id,
        staff_id=staff_id,
        created_at=now,
    )
    return PointsAward(add_lot(session, entry), False)
