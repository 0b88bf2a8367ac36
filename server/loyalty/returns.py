"""What a return takes back: the one reversal rule the till (service.py) and the backfill (replay.py) share.

Returned quantities are matched to the sale lines they came from (by link, else by product in the
original sale); each sale gives back its lines' points in proportion to the quantity returned, taken from
the sale's own lot first, then other lots oldest first, and what is left becomes a debt. A returned line
whose sale cannot be found takes back what the base rate would have earned on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from server.core.words import counted
from server.loyalty.points import LineAward, Lot, plan_reversal, reversal


@dataclass(frozen=True)
class ReturnLine:
    """A line of a return, with what matching it to its sale needs."""

    id: int
    product_id: int
    quantity: int
    amount: Decimal
    original_line_id: int | None
    merchandise: bool


@dataclass(frozen=True)
class EarnedSale:
    """What a sale earned: its lot (ledger entry) and the points per sale line."""

    lot_id: int
    lines: Mapping[int, LineAward]


@dataclass
class ReturnPlan:
    """Points a return takes back: per lot, as debt, forgiven (already expired), and per line."""

    taken: dict[int, int] = field(default_factory=dict)
    debt: int = 0
    forgiven: int = 0
    lines: dict[int, LineAward] = field(default_factory=dict)
    unlinked: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The points the reverse entry takes off the balance (a positive number)."""
        return sum(self.taken.values()) + self.debt

    @property
    def detail(self) -> dict[str, Any]:
        """The reverse entry's detail: points per sale line, per unlinked line, and the forgiven part."""
        return {
            "lines": awards_detail(self.lines),
            "unlinked": {str(i): p for i, p in self.unlinked.items()},
            "forgiven": self.forgiven,
        }

    @property
    def note(self) -> str:
        """The ledger note a clerk reads when part of the sale's points had expired."""
        return f"{counted(self.forgiven, 'point')} of the sale had already expired" if self.forgiven else ""


def awards_detail(lines: Mapping[int, LineAward]) -> dict[str, dict[str, int]]:
    """Points and quantity per line as an entry's detail stores them."""
    return {str(i): {"points": a.points, "quantity": a.quantity} for i, a in lines.items()}


def awards_of(detail: Mapping[str, Any]) -> dict[int, LineAward]:
    """Points and quantity per line read back from an entry's detail."""
    lines = detail.get("lines", {})
    return {int(k): LineAward(int(v["points"]), int(v["quantity"])) for k, v in lines.items()}


def add_awards(before: dict[int, LineAward], more: Mapping[int, LineAward]) -> None:
    """Add what a return took back per line to the running total of earlier returns."""
    for line_id, award in more.items():
        prior = before.get(line_id, LineAward(0, 0))
        before[line_id] = LineAward(prior.points + award.points, prior.quantity + award.quantity)


def link_lines(
    lines: Iterable[ReturnLine], original_by_product: Mapping[int, int]
) -> tuple[dict[int, int], list[ReturnLine]]:
    """Returned quantity per sale line, and the return lines whose sale line is unknown."""
    returned: dict[int, int] = defaultdict(int)
    unlinked: list[ReturnLine] = []
    for line in lines:
        original = line.original_line_id
        if original is None:
            original = original_by_product.get(line.product_id)
        if original is None:
            unlinked.append(line)
        else:
            returned[original] += abs(line.quantity)
    return dict(returned), unlinked


def plan_return(
    by_sale: Mapping[int, Mapping[int, int]],
    earned: Mapping[int, EarnedSale],
    before: Mapping[int, LineAward],
    lots: dict[int, Lot],
    unlinked: Sequence[ReturnLine],
    points_per_unit: Decimal,
    today: date,
    expired_from: Callable[[int], int] = lambda _lot: 0,
) -> ReturnPlan:
    """Plan a return of {sale id: {sale line: quantity}}; `lots` is left holding what remains in each lot.

    A sale missing from `earned` earned nothing (made before the programme): nothing to take back.
    `expired_from(lot)` says how many of a lot's points expired before the return.
    """
    plan = ReturnPlan()

    def cover(points: int, origin_id: int | None) -> None:
        origin = lots.get(origin_id) if origin_id is not None else None
        gone = expired_from(origin_id) if origin_id is not None else 0
        step = plan_reversal(list(lots.values()), points, origin, gone, today)
        for lot_id, pts in step.taken:
            plan.taken[lot_id] = plan.taken.get(lot_id, 0) + pts
            lot = lots[lot_id]
            lots[lot_id] = Lot(lot.id, lot.earned_on, lot.expires_on, lot.remaining - pts)
        plan.forgiven += step.forgiven
        plan.debt += step.debt

    for sale_id, quantities in sorted(by_sale.items()):
        sale = earned.get(sale_id)
        if sale is None:
            continue
        lines = reversal(sale.lines, before, quantities)
        plan.lines.update(lines)
        cover(sum(a.points for a in lines.values()), sale.lot_id)
    plan.unlinked = {
        line.id: int((abs(line.amount) * points_per_unit).to_integral_value(ROUND_FLOOR))
        for line in unlinked
        if line.merchandise
    }
    if sum(plan.unlinked.values()):
        cover(sum(plan.unlinked.values()), None)
    return plan
