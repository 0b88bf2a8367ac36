"""Points as data and arithmetic: earn rules, FIFO lots, redemption allocation, expiry and reversal.

Every earn is a lot with an expiry date (`earned_on + lifetime_days`: on that day the lot's remainder
expires). Redemptions, expiry and reversals consume lots oldest-first. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.core.errors import InvalidInput
from server.core.words import counted


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: Decimal = Field(gt=0, le=10)
    label: str = ""


class CategoryMultiplier(_Rule):
    kind: Literal["category"]
    categories: list[str] = Field(min_length=1)


class StoreMultiplier(_Rule):
    kind: Literal["store"]
    store_ids: list[int] = Field(min_length=1)


class DateMultiplier(_Rule):
    kind: Literal["dates"]
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateMultiplier:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class MemberDayMultiplier(_Rule):
    """The store's member day: a day of the month (the 8th) or a weekday (0 = Monday)."""

    kind: Literal["member_day"]
    day_of_month: int | None = Field(None, ge=1, le=31)
    weekday: int | None = Field(None, ge=0, le=6)

    @model_validator(mode="after")
    def _one_day(self) -> MemberDayMultiplier:
        if (self.day_of_month is None) == (self.weekday is None):
            raise ValueError("give exactly one of day_of_month or weekday")
        return self


class TierMultiplier(_Rule):
    kind: Literal["tier"]
    tiers: list[str] = Field(min_length=1)


class BirthdayMultiplier(_Rule):
    kind: Literal["birthday_month"]


Multiplier = Annotated[
    CategoryMultiplier
    | StoreMultiplier
    | DateMultiplier
    | MemberDayMultiplier
    | TierMultiplier
    | BirthdayMultiplier,
    Field(discriminator="kind"),
]


class EarnRules(BaseModel):
    """How many points a sale earns and how long they last."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points_per_unit: Decimal = Field(Decimal("1"), gt=0, le=1000)
    multipliers: list[Multiplier] = Field(default_factory=list)
    max_factor: Decimal = Field(Decimal("5"), ge=1, le=20)
    lifetime_days: int = Field(365, ge=1, le=3660)


class RedemptionRules(BaseModel):
    """What points are worth at the till and when a one-time code must confirm a redemption."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    point_value: Decimal = Field(Decimal("0.01"), gt=0)
    min_points: int = Field(100, ge=1)
    code_threshold: int = Field(5000, ge=1)
    code_minutes: int = Field(10, ge=1, le=60)
    code_attempts: int = Field(5, ge=1, le=10)


@dataclass(frozen=True)
class SaleLine:
    """A sale line as the earn rules see it."""

    line_id: int
    amount: Decimal
    quantity: int
    category: str
    merchandise: bool = True


@dataclass(frozen=True)
class SaleContext:
    """Who bought where and when: what the transaction-wide multipliers look at."""

    store_id: int
    on: date
    tier: str
    birthday: date | None = None


@dataclass(frozen=True)
class LineAward:
    """Points for one line and the quantity they were earned on (what a return reverses against)."""

    points: int
    quantity: int


@dataclass(frozen=True)
class Award:
    """The points a sale earns, per line, and the multipliers that applied."""

    total: int
    lines: dict[int, LineAward]
    applied: tuple[str, ...] = field(default_factory=tuple)


def _matches(rule: Multiplier, ctx: SaleContext) -> bool:
    if isinstance(rule, StoreMultiplier):
        return ctx.store_id in rule.store_ids
    if isinstance(rule, DateMultiplier):
        return rule.start <= ctx.on <= rule.end
    if isinstance(rule, MemberDayMultiplier):
        return ctx.on.day == rule.day_of_month or ctx.on.weekday() == rule.weekday
    if isinstance(rule, TierMultiplier):
        return ctx.tier in rule.tiers
    if isinstance(rule, BirthdayMultiplier):
        return ctx.birthday is not None and ctx.birthday.month == ctx.on.month
    return False


def is_member_day(rules: EarnRules, on: date) -> bool:
    """Whether `on` is a member day of the earn rules (a day of the month or a weekday)."""
    return any(
        isinstance(r, MemberDayMultiplier) and (on.day == r.day_of_month or on.weekday() == r.weekday)
        for r in rules.multipliers
    )


def _name(rule: Multiplier) -> str:
    return rule.label or f"{rule.kind} x{rule.factor.normalize():f}"


def earn_points(rules: EarnRules, lines: Iterable[SaleLine], ctx: SaleContext) -> Award:
    """Points for each line of a sale: amount x rate x the matching multipliers (capped), rounded down."""
    wide = [r for r in rules.multipliers if not isinstance(r, CategoryMultiplier) and _matches(r, ctx)]
    base = rules.points_per_unit
    for wide_rule in wide:
        base *= wide_rule.factor
    applied = [_name(r) for r in wide]
    awards: dict[int, LineAward] = {}
    for line in lines:
        factor = Decimal("1")
        for rule in rules.multipliers:
            if isinstance(rule, CategoryMultiplier) and line.category in rule.categories:
                factor *= rule.factor
                if _name(rule) not in applied:
                    applied.append(_name(rule))
        rate = min(base * factor, rules.points_per_unit * rules.max_factor)
        earned = (
            (line.amount * rate).to_integral_value(ROUND_FLOOR) if line.merchandise and line.amount > 0 else 0
        )
        awards[line.line_id] = LineAward(int(earned), line.quantity)
    return Award(sum(a.points for a in awards.values()), awards, tuple(applied))


def expiry_date(earned_on: date, lifetime_days: int) -> date:
    """The day a lot's remainder expires: usable through the day before."""
    return earned_on + timedelta(days=lifetime_days)


@dataclass(frozen=True)
class Lot:
    """An earn entry with what is left of it."""

    id: int
    earned_on: date
    expires_on: date
    remaining: int


def _fifo(lots: Iterable[Lot], today: date) -> list[Lot]:
    return sorted(
        (lot for lot in lots if lot.remaining > 0 and lot.expires_on > today),
        key=lambda lot: (lot.expires_on, lot.earned_on, lot.id),
    )


def available(lots: Iterable[Lot], today: date, debt: int = 0) -> int:
    """Points the member can spend today: unexpired lot remainders less any debt from reversals."""
    return max(sum(lot.remaining for lot in _fifo(lots, today)) - debt, 0)


def allocate(lots: Iterable[Lot], points: int, today: date) -> list[tuple[int, int]]:
    """Take `points` from unexpired lots, oldest first: [(lot id, points)]; InvalidInput if short."""
    if points <= 0:
        raise InvalidInput(f"points to redeem must be positive, got {points}")
    taken: list[tuple[int, int]] = []
    left = points
    for lot in _fifo(lots, today):
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
        if left == 0:
            return taken
    have = counted(points - left, "point is", "points are")
    raise InvalidInput(f"only {have} available, {points} requested")


def expired(lots: Iterable[Lot], today: date) -> list[Lot]:
    """Lots whose expiry day has come and that still hold points."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_on <= today]


def expiring_soon(lots: Iterable[Lot], today: date, days: int = 30) -> list[tuple[date, int]]:
    """Points still usable today that expire within the next `days` days, grouped by expiry day."""
    by_day: dict[date, int] = {}
    for lot in _fifo(lots, today):
        if lot.expires_on <= today + timedelta(days=days):
            by_day[lot.expires_on] = by_day.get(lot.expires_on, 0) + lot.remaining
    return sorted(by_day.items())


def reversal(
    earned: Mapping[int, LineAward], reversed_before: Mapping[int, LineAward], returned: Mapping[int, int]
) -> dict[int, LineAward]:
    """Points to take back per original line for `returned` {line id: quantity}, proportional and cumulative.

    Repeated partial returns of one line never take back more than it earned: each return reverses the
    difference between the share returned so far and what was already reversed.
    """
    out: dict[int, LineAward] = {}
    for line_id, quantity in returned.items():
        award = earned.get(line_id)
        if award is None or award.quantity <= 0 or quantity <= 0:
            continue
        before = reversed_before.get(line_id, LineAward(0, 0))
        total_qty = min(before.quantity + quantity, award.quantity)
        target = (Decimal(award.points * total_qty) / award.quantity).to_integral_value(ROUND_HALF_UP)
        out[line_id] = LineAward(int(target) - before.points, total_qty - before.quantity)
    return out


@dataclass(frozen=True)
class ReversalPlan:
    """How a reversal is covered: lots taken from, points already gone to expiry, and debt left."""

    taken: list[tuple[int, int]]
    forgiven: int
    debt: int


def plan_reversal(
    lots: Sequence[Lot], points: int, origin: Lot | None, origin_expired: int, today: date
) -> ReversalPlan:
    """Cover a reversal from the sale's own lot first, then other lots oldest first, then as debt.

    Points of the sale's lot that expired (or expire today) are gone; they are not taken a second time.
    """
    taken: list[tuple[int, int]] = []
    left = points
    gone = max(origin_expired, 0)
    if origin is not None and origin.remaining > 0:
        if origin.expires_on > today:
            take = min(origin.remaining, left)
            taken.append((origin.id, take))
            left -= take
        else:
            gone += origin.remaining
    forgiven = min(left, gone)
    left -= forgiven
    for lot in _fifo(lots, today):
        if left == 0:
            break
        if origin is not None and lot.id == origin.id:
            continue
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
    return ReversalPlan(taken, forgiven, left)


def settle_debts(lot_points: int, debts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pay outstanding reversal debts [(entry id, owed)] from a new lot, oldest debt first."""
    paid: list[tuple[int, int]] = []
    left = lot_points
    for entry_id, owed in debts:
        if left <= 0:
            break
        pay = min(owed, left)
        if pay > 0:
            paid.append((entry_id, pay))
            left -= pay
    return paid


def points_value(rules: RedemptionRules, points: int) -> Decimal:
    """What `points` are worth at the till, in the store's currency."""
    return (rules.point_value * points).quantize(Decimal("0.01"), ROUND_FLOOR)
