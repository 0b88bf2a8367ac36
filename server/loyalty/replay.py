"""Replaying a member's history through the loyalty rules in memory: what the till would have booked.

The same rules as `server.loyalty.service.apply_transaction` (earn per line with the tier held at the
time, the reversal of server/loyalty/returns.py, debts settled by the next lot, upgrade on purchase,
downgrade on return), applied transaction by transaction to plain rows, so the backfill can
write every member's ledger with a few bulk inserts instead of a dozen queries per transaction.
Entries and allocations are numbered by their position in `Book.entries`, not by database id.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from server.loyalty.config import LoyaltyConfig
from server.loyalty.points import (
    LineAward,
    Lot,
    SaleContext,
    SaleLine,
    earn_points,
    expiry_date,
    settle_debts,
)
from server.loyalty.returns import EarnedSale, ReturnLine, add_awards, awards_detail, link_lines, plan_return
from server.loyalty.tiers import Activity, Growth, Trigger, decide, growth


@dataclass(frozen=True)
class TxnIn:
    """A member's sale or return as stored."""

    id: int
    member_id: int
    store_id: int
    staff_id: int | None
    occurred_at: datetime
    kind: str
    total_amount: Decimal
    original_transaction_id: int | None


@dataclass(frozen=True)
class LineIn:
    """A transaction line with what the earn rules look at."""

    id: int
    transaction_id: int
    product_id: int
    quantity: int
    amount: Decimal
    original_line_id: int | None
    category: str
    merchandise: bool


@dataclass
class Book:
    """What the replay of many members produced, ready for bulk inserts."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[tuple[int, int, int]] = field(default_factory=list)  # (debit, lot, points)
    changes: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: dict[str, Any]) -> int:
        """Append a ledger entry; its position stands for its id until it is inserted."""
        self.entries.append(row)
        return len(self.entries) - 1


class MemberReplay:
    """One member's ledger and tier, advanced one transaction at a time."""

    def __init__(
        self, book: Book, config: LoyaltyConfig, member_id: int, joined_on: date, birthday: date | None
    ) -> None:
        self.book, self.config, self.member_id, self.birthday = book, config, member_id, birthday
        self.tier = config.ladder.lowest
        self.since = datetime.combine(joined_on, time.min, UTC)
        self.lots: dict[int, Lot] = {}
        self.debts: list[list[int]] = []  # [entry, owed], oldest first
        self.awards: dict[int, tuple[int, dict[int, LineAward]]] = {}  # sale id -> (lot, per line)
        self.before: dict[int, LineAward] = {}  # what returns already took back, per sale line
        self.growth: Growth | None = None
        self.reviewed: datetime | None = None

    def run(self, txns: list[TxnIn], lines: dict[int, list[LineIn]], line_by_id: dict[int, LineIn]) -> None:
        """Apply the member's transactions (oldest first), then record the tier they end in."""
        when = {t.id: t.occurred_at for t in txns}
        acts = [
            (
                t.occurred_at,
                Activity(
                    when.get(t.original_transaction_id or -1, t.occurred_at).date(),
                    abs(t.total_amount) if t.kind == "sale" else -abs(t.total_amount),
                    t.kind == "sale",
                ),
            )
            for t in txns
        ]
        acts.sort(key=lambda pair: pair[0])
        times = [at for at, _ in acts]
        for t in txns:
            own = lines.get(t.id, [])
            if t.kind == "sale":
                self._earn(t, own)
            else:
                self._reverse(t, own, lines, line_by_id)
            seen = [a for _, a in acts[: bisect.bisect_right(times, t.occurred_at)]]
            self._tier(t, seen)
        if self.growth is not None:
            self.book.tiers.append(
                {
                    "member_id": self.member_id,
                    "tier": self.tier,
                    "since": self.since,
                    "reviewed_at": self.reviewed,
                    "spend": self.growth.spend,
                    "visits": self.growth.visits,
                }
            )

    def _entry(self, t: TxnIn, kind: str, points: int, detail: dict[str, Any], **extra: Any) -> int:
        return self.book.add(
            {
                "member_id": self.member_id,
                "kind": kind,
                "points": points,
                "idempotency_key": f"{kind}:transaction:{t.id}",
                "occurred_at": t.occurred_at,
                "expires_on": None,
                "transaction_id": t.id,
                "detail": detail,
                "note": "",
                "store_id": t.store_id,
                "staff_id": t.staff_id,
                **extra,
            }
        )

    def _earn(self, t: TxnIn, own: list[LineIn]) -> None:
        earn = self.config.earn
        sale = [SaleLine(x.id, x.amount, abs(x.quantity), x.category, x.merchandise) for x in own]
        award = earn_points(
            earn, sale, SaleContext(t.store_id, t.occurred_at.date(), self.tier, self.birthday)
        )
        expires = expiry_date(t.occurred_at.date(), earn.lifetime_days)
        detail = {"lines": awards_detail(award.lines), "rules": list(award.applied), "tier": self.tier}
        lot = self._entry(t, "earn", award.total, detail, expires_on=expires)
        left = award.total
        for debt, paid in settle_debts(award.total, [(d, owed) for d, owed in self.debts if owed > 0]):
            self.book.allocations.append((debt, lot, paid))
            left -= paid
            for pair in self.debts:
                if pair[0] == debt:
                    pair[1] -= paid
        if award.total > 0:
            self.lots[lot] = Lot(lot, t.occurred_at.date(), expires, left)
        self.awards[t.id] = (lot, award.lines)

    def _reverse(
        self, t: TxnIn, own: list[LineIn], lines: dict[int, list[LineIn]], line_by_id: dict[int, LineIn]
    ) -> None:
        originals = {x.product_id: x.id for x in lines.get(t.original_transaction_id or -1, [])}
        returned, unlinked = link_lines(
            [
                ReturnLine(x.id, x.product_id, x.quantity, x.amount, x.original_line_id, x.merchandise)
                for x in own
            ],
            originals,
        )
        by_sale: dict[int, dict[int, int]] = defaultdict(dict)
        for line_id, qty in returned.items():
            if line_id in line_by_id:
                by_sale[line_by_id[line_id].transaction_id][line_id] = qty
        earned = {sale: EarnedSale(*self.awards[sale]) for sale in by_sale if sale in self.awards}
        rate = self.config.earn.points_per_unit
        plan = plan_return(by_sale, earned, self.before, self.lots, unlinked, rate, t.occurred_at.date())
        entry = self._entry(t, "reverse", -plan.total, plan.detail, note=plan.note)
        self.book.allocations.extend(
            (entry, lot_id, pts) for lot_id, pts in sorted(plan.taken.items()) if pts > 0
        )
        if plan.debt:
            self.debts.append([entry, plan.debt])
        add_awards(self.before, plan.lines)

    def _tier(self, t: TxnIn, seen: list[Activity]) -> None:
        ladder = self.config.ladder
        g = growth(seen, ladder.window_days, t.occurred_at.date())
        trigger: Trigger = "purchase" if t.kind == "sale" else "return"
        decision = decide(ladder, self.tier, self.since, g, trigger, t.occurred_at)
        if decision.changed:
            self.book.changes.append(
                {
                    "member_id": self.member_id,
                    "from_tier": decision.current,
                    "to_tier": decision.new,
                    "trigger": trigger,
                    "reason": decision.reason,
                    "transaction_id": t.id,
                    "occurred_at": t.occurred_at,
                }
            )
            self.tier, self.since = decision.new, t.occurred_at
        self.growth, self.reviewed = g, t.occurred_at
