"""The profile's figures from one member's plain rows: pure, so each can be checked with concrete dates.

The windowed totals reuse `server.tags.facts.aggregate`, so the profile shows exactly the numbers the tag
rules see; the tier growth follows `server.loyalty.repository.tier_activities` (a return counts on the
day of the sale it undoes).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server.db.base import money
from server.loyalty.points import Lot
from server.loyalty.tiers import Activity, Growth, TierLadder, qualified_tier
from server.signals.heat import DailyActivity
from server.tags.facts import TransactionRow, signed


@dataclass(frozen=True)
class Txn(TransactionRow):
    """One of the member's transactions as the profile reads it (and as the tag facts aggregate it)."""

    store_id: int
    original_transaction_id: int | None

    @classmethod
    def of(cls, row: Any) -> Txn:
        """From a `repository.TRANSACTIONS` row; a sale paid with a coupon or a discount counts as one."""
        coupon = row.coupon_code is not None or row.discount_amount > 0
        return cls(
            row.id,
            row.occurred_at,
            row.kind,
            row.total_amount,
            coupon,
            row.store_id,
            row.original_transaction_id,
        )


def tier_activities(txns: Sequence[Txn], now: datetime, window_days: int) -> list[Activity]:
    """Sales and returns in the ladder's window; a return is dated on the day of the sale it undoes."""
    start = now.date() - timedelta(days=window_days - 1)
    when = {t.id: t.occurred_at for t in txns}
    out = []
    for t in txns:
        if t.kind not in ("sale", "return") or t.occurred_at > now:
            continue
        attributed = (
            when.get(t.original_transaction_id, t.occurred_at) if t.original_transaction_id else t.occurred_at
        )
        if attributed.date() >= start:
            out.append(Activity(attributed.date(), signed(t.kind, t.total_amount), t.kind == "sale"))
    return out


def heat_activities(
    txns: Iterable[Txn],
    talks: Iterable[datetime],
    replies: Iterable[datetime],
    since: datetime,
    now: datetime,
) -> list[DailyActivity]:
    """Per day: a visit and the purchases made, the interactions with staff, the replies to messages."""
    sales: dict[date, int] = defaultdict(int)
    for t in txns:
        if t.kind == "sale" and since <= t.occurred_at <= now:
            sales[t.occurred_at.date()] += 1
    acts = [
        a
        for day, n in sales.items()
        for a in (DailyActivity(day, "visit"), DailyActivity(day, "purchase", n))
    ]
    for kind, times in (("interaction", talks), ("response", replies)):
        per_day: dict[date, int] = defaultdict(int)
        for moment in times:
            per_day[moment.date()] += 1
        acts += [DailyActivity(day, kind, n) for day, n in per_day.items()]  # type: ignore[arg-type]
    return acts


@dataclass(frozen=True)
class TierReview:
    """When the current tier is next at stake, and what it would become without new purchases."""

    on: date
    to_tier: str
    text: str


def tier_review(
    ladder: TierLadder, current: str, since: date, acts: Sequence[Activity], today: date
) -> TierReview | None:
    """The first day the member stops qualifying for their tier if they buy nothing more (grace respected)."""
    rank = ladder.index(current)
    if rank == 0:
        return None
    window = ladder.window_days
    acts = sorted(acts, key=lambda a: a.on)
    days = [a.on for a in acts]
    suffix = [Decimal("0")] * (len(acts) + 1)
    for i in range(len(acts) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + acts[i].amount
    visit_days = sorted({a.on for a in acts if a.visit})
    # The growth only changes when an activity leaves the window: test today and each of those days.
    candidates = sorted(
        {today} | {d + timedelta(days=window) for d in days if d + timedelta(days=window) > today}
    )
    for day in candidates:
        start = day - timedelta(days=window - 1)
        spend = suffix[bisect.bisect_left(days, start)]
        visits = len(visit_days) - bisect.bisect_left(visit_days, start)
        target = qualified_tier(ladder, Growth(money(max(spend, Decimal("0"))), visits, day))
        if ladder.index(target.name) < rank:
            on = max(day, since + timedelta(days=ladder.downgrade_grace_days), today)
            text = (
                f"{current} is reviewed on {on.isoformat()}: without new purchases it becomes {target.name}"
            )
            return TierReview(on, target.name, text)
    return None


def next_birthday(birthday: date | None, today: date) -> date | None:
    """The next birthday on or after today (29 February is kept on 28 February in other years)."""
    if birthday is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= today:
            return day
    return None


@dataclass(frozen=True)
class StoreVisits:
    """How often the member bought in one store, and when last."""

    store_id: int
    visits: int
    last_visit: date


def store_visits(txns: Iterable[Txn]) -> list[StoreVisits]:
    """Stores the member bought in, most visits first (a visit is a day with a sale)."""
    days: dict[int, set[date]] = defaultdict(set)
    for t in txns:
        if t.kind == "sale":
            days[t.store_id].add(t.occurred_at.date())
    out = [StoreVisits(s, len(d), max(d)) for s, d in days.items()]
    return sorted(out, key=lambda v: (-v.visits, v.store_id))


@dataclass(frozen=True)
class Ledger:
    """The member's points as the ledger stands: lots with what is left, uncovered reversals, the sum."""

    lots: list[Lot]
    debt: int
    balance: int


def ledger(
    entries: Iterable[tuple[int, str, int, datetime, date | None]],
    allocations: Iterable[tuple[int, int, int]],
) -> Ledger:
    """Lots with what is left, uncovered debt and the balance, from ledger entries and their allocations."""
    used: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    for lot_id, debit_id, points in allocations:
        used[lot_id] += points
        paid[debit_id] += points
    lots, debt, balance = [], 0, 0
    for entry_id, kind, points, occurred_at, expires_on in entries:
        balance += points
        if points > 0 and expires_on is not None and points - used[entry_id] > 0:
            lots.append(Lot(entry_id, occurred_at.date(), expires_on, points - used[entry_id]))
        elif points < 0 and kind in ("reverse", "adjust"):
            debt += max(-points - paid[entry_id], 0)
    return Ledger(lots, debt, balance)
