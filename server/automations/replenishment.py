"""When a member is due to buy a product again: pure arithmetic on purchase days, no SQL and no I/O.

A member's cycle for a product is the median gap between their purchases of it (purchases a few days
apart merged into one), shrunk toward the product's typical cycle in log-days with a prior strength k:
log cycle = (n·log member + k·log product) / (n + k), n being the member's gap count. The product's
typical cycle is the median, over its repeat buyers, of each buyer's own median gap; a product with too
few repeat buyers has none. The reminder is due `lead_days` before last purchase + cycle and keyed by the
last purchase day, so a rebuy starts a new cycle and the old reminder is never sent; a reminder more than
`grace_days` overdue is stale (the member stopped buying) and never sent. Days are date ordinals.
See docs/replenishment.md for how the defaults were chosen.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ReplenishParams:
    """The knobs of the estimate; defaults were chosen on a validation window (docs/replenishment.md).

    On the development data shrinking toward the product's cycle only lowered both shares, so the chosen
    k is 0 and one-time buyers are not reminded; a chain whose products are consumables should rerun
    bench/replenishment.py on its own export before trusting these.
    """

    prior_strength: float = 0.0  # k: how many gaps' worth of weight the product's typical cycle gets
    lead_days: int = 7  # remind this many days before the estimated run-out day
    grace_days: int = 3  # a reminder more overdue than this is stale and never sent
    merge_days: int = 0  # purchases this close to the previous one are one purchase (same day: always)
    min_repeat_buyers: int = 5  # a product needs this many members with a gap to have a typical cycle
    min_cycle_days: int = 7  # no reminder cycle shorter than this, however often someone bought
    min_own_gaps: int = 1  # 0: the product's cycle alone may remind a one-time buyer; 1: only rebuyers

    def as_dict(self) -> dict[str, float | int]:
        """The parameters as JSON-ready values."""
        return {
            "prior_strength": self.prior_strength,
            "lead_days": self.lead_days,
            "grace_days": self.grace_days,
            "merge_days": self.merge_days,
            "min_repeat_buyers": self.min_repeat_buyers,
            "min_cycle_days": self.min_cycle_days,
            "min_own_gaps": self.min_own_gaps,
        }


@dataclass(frozen=True)
class History:
    """What one member's purchases of one product say: their last day and their merged gaps."""

    last_day: int
    gaps: tuple[int, ...]

    @property
    def median_gap(self) -> float | None:
        """The member's own cycle, None before their first repeat."""
        return float(statistics.median(self.gaps)) if self.gaps else None


@dataclass(frozen=True)
class Reminder:
    """A replenishment reminder for one cycle: its once-only key and the figures behind it."""

    key: str
    member_id: int
    product_id: int
    cycle_days: float
    last_bought: int
    due_on: int


def history(days: Iterable[int], params: ReplenishParams) -> History:
    """One member's purchase days of a product (any order, repeats allowed) as gaps and a last day."""
    ordered = sorted(set(days))
    if not ordered:
        raise ValueError("a history needs at least one purchase day")
    gaps: list[int] = []
    anchor = ordered[0]
    for day in ordered[1:]:
        # A top-up a day or two later is the same need, not a cycle of two days.
        if day - anchor > params.merge_days:
            gaps.append(day - anchor)
            anchor = day
    return History(last_day=ordered[-1], gaps=tuple(gaps))


def product_cycles(histories: Iterable[tuple[int, History]], params: ReplenishParams) -> dict[int, float]:
    """Each product's typical cycle: the median of its repeat buyers' own medians (enough buyers only)."""
    per_product: dict[int, list[float]] = {}
    for product_id, seen in histories:
        own = seen.median_gap
        if own is not None:
            per_product.setdefault(product_id, []).append(own)
    return {
        product_id: float(statistics.median(cycles))
        for product_id, cycles in per_product.items()
        if len(cycles) >= params.min_repeat_buyers
    }


def cycle_days(seen: History, product_cycle: float | None, params: ReplenishParams) -> float | None:
    """The member's cycle shrunk toward the product's; None with neither a repeat nor a product cycle."""
    own = seen.median_gap
    if (own is None and product_cycle is None) or len(seen.gaps) < params.min_own_gaps:
        return None
    if own is None:
        blended = product_cycle
    elif product_cycle is None or params.prior_strength == 0:
        blended = own  # exactly, not exp(log(own)), so k = 0 is the member-only estimate to the day
    else:
        n, k = len(seen.gaps), params.prior_strength
        blended = math.exp((n * math.log(own) + k * math.log(product_cycle)) / (n + k))
    assert blended is not None
    return max(blended, float(params.min_cycle_days))


def due_day(last_day: int, cycle: float, params: ReplenishParams) -> int:
    """The day to remind: last purchase + cycle - lead, but never in the first half of the cycle."""
    # A lead that eats a short cycle would remind the day after a purchase, which is no replenishment.
    return last_day + max(round(cycle) - params.lead_days, math.ceil(cycle / 2), 1)


def is_due(due: int, today: int, params: ReplenishParams) -> bool:
    """True from the due day until `grace_days` after it; later the cycle is stale."""
    return due <= today <= due + params.grace_days


def reminder_key(member_id: int, product_id: int, last_day: int) -> str:
    """One key per cycle: a rebuy changes the last purchase day and so the key."""
    return f"replenish:{member_id}:{product_id}:{last_day}"


def reminder(
    member_id: int,
    product_id: int,
    seen: History,
    product_cycle: float | None,
    today: int,
    params: ReplenishParams,
) -> Reminder | None:
    """The reminder to send today for this member and product, None when nothing is due (or stale)."""
    if seen.last_day >= today:
        return None  # bought today (or a clock skew): the cycle starts now
    cycle = cycle_days(seen, product_cycle, params)
    if cycle is None:
        return None
    due = due_day(seen.last_day, cycle, params)
    if not is_due(due, today, params):
        return None
    return Reminder(
        key=reminder_key(member_id, product_id, seen.last_day),
        member_id=member_id,
        product_id=product_id,
        cycle_days=round(cycle, 1),
        last_bought=seen.last_day,
        due_on=due,
    )


def reminders(
    pairs: Sequence[tuple[int, int, History]],
    product_cycle: dict[int, float],
    today: int,
    params: ReplenishParams,
) -> list[Reminder]:
    """The reminders due today over many (member, product, history) triples."""
    found = (reminder(m, p, seen, product_cycle.get(p), today, params) for m, p, seen in pairs)
    return [r for r in found if r is not None]
