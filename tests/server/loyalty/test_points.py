"""Earn rules, FIFO lots, expiry on the right day, redemption allocation and proportional reversal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from server.core.errors import InvalidInput
from server.loyalty.points import (
    EarnRules,
    LineAward,
    Lot,
    RedemptionRules,
    SaleContext,
    SaleLine,
    allocate,
    available,
    earn_points,
    expired,
    expiring_soon,
    expiry_date,
    plan_reversal,
    points_value,
    reversal,
    settle_debts,
)

RULES = EarnRules.model_validate(
    {
        "points_per_unit": "1",
        "max_factor": "4",
        "multipliers": [
            {"kind": "category", "categories": ["jewellery"], "factor": "2"},
            {"kind": "member_day", "day_of_month": 8, "factor": "1.5", "label": "member day"},
            {"kind": "tier", "tiers": ["VIP"], "factor": "2", "label": "VIP double points"},
            {"kind": "store", "store_ids": [7], "factor": "3"},
            {"kind": "dates", "start": "2024-12-20", "end": "2024-12-24", "factor": "2"},
            {"kind": "birthday_month", "factor": "2"},
        ],
    }
)
LINES = [
    SaleLine(1, Decimal("19.99"), 1, "home"),
    SaleLine(2, Decimal("50.00"), 2, "jewellery"),
    SaleLine(3, Decimal("4.95"), 1, "postage", merchandise=False),
]


@pytest.mark.parametrize(
    ("ctx", "points", "applied"),
    [
        # 19.99 -> 19 (rounded down), 50.00 x2 -> 100, postage -> 0
        (SaleContext(1, date(2024, 3, 5), "new"), {1: 19, 2: 100, 3: 0}, ("category x2",)),
        # member day x1.5: 29.985 -> 29, 50 x 3 -> 150
        (SaleContext(1, date(2024, 3, 8), "new"), {1: 29, 2: 150, 3: 0}, ("member day", "category x2")),
        # VIP x2 and member day x1.5 = x3; jewellery would be x6 but the cap is x4
        (
            SaleContext(1, date(2024, 3, 8), "VIP"),
            {1: 59, 2: 200, 3: 0},
            ("member day", "VIP double points", "category x2"),
        ),
        (
            SaleContext(7, date(2024, 12, 21), "new", date(1990, 5, 1)),
            {1: 79, 2: 200, 3: 0},
            ("store x3", "dates x2", "category x2"),
        ),
        (
            SaleContext(1, date(2024, 5, 2), "new", date(1990, 5, 1)),
            {1: 39, 2: 200, 3: 0},
            ("birthday_month x2", "category x2"),
        ),
    ],
)
def test_earn_points_per_line(ctx: SaleContext, points: dict[int, int], applied: tuple[str, ...]) -> None:
    award = earn_points(RULES, LINES, ctx)
    assert {i: a.points for i, a in award.lines.items()} == points
    assert award.total == sum(points.values())
    assert award.applied == applied


@pytest.mark.parametrize(
    "bad",
    [
        {"multipliers": [{"kind": "member_day", "factor": "2"}]},
        {"multipliers": [{"kind": "member_day", "day_of_month": 8, "weekday": 2, "factor": "2"}]},
        {"multipliers": [{"kind": "dates", "start": "2024-12-24", "end": "2024-12-20", "factor": "2"}]},
        {"multipliers": [{"kind": "weather", "factor": "2"}]},
        {"multipliers": [{"kind": "tier", "tiers": ["VIP"], "factor": "0"}]},
        {"lifetime_days": 0},
    ],
)
def test_bad_earn_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EarnRules.model_validate(bad)


def test_points_expire_on_exactly_the_lifetime_day() -> None:
    assert expiry_date(date(2024, 3, 1), 365) == date(2025, 3, 1)
    lot = Lot(1, date(2024, 3, 1), date(2025, 3, 1), 120)
    assert expired([lot], date(2025, 2, 28)) == []
    assert available([lot], date(2025, 2, 28)) == 120
    assert expired([lot], date(2025, 3, 1)) == [lot]
    assert available([lot], date(2025, 3, 1)) == 0


LOTS = [
    Lot(3, date(2024, 5, 1), date(2025, 5, 1), 300),
    Lot(1, date(2024, 1, 10), date(2025, 1, 10), 100),
    Lot(2, date(2024, 2, 1), date(2025, 2, 1), 50),
    Lot(4, date(2023, 6, 1), date(2024, 6, 1), 999),  # already expired
]


@pytest.mark.parametrize(
    ("points", "taken"),
    [
        (80, [(1, 80)]),
        (100, [(1, 100)]),
        (120, [(1, 100), (2, 20)]),
        (450, [(1, 100), (2, 50), (3, 300)]),
    ],
)
def test_redemption_takes_the_oldest_lots_first(points: int, taken: list[tuple[int, int]]) -> None:
    assert allocate(LOTS, points, date(2024, 12, 1)) == taken


def test_redemption_beyond_the_unexpired_points_is_refused() -> None:
    with pytest.raises(InvalidInput, match="only 450 points are available, 451 requested"):
        allocate(LOTS, 451, date(2024, 12, 1))


def test_expiring_in_the_next_30_days() -> None:
    assert expiring_soon(LOTS, date(2024, 12, 20)) == [(date(2025, 1, 10), 100)]
    assert expiring_soon(LOTS, date(2025, 1, 10)) == [(date(2025, 2, 1), 50)]  # lot 1 is gone today


def test_reversal_is_proportional_and_never_exceeds_what_was_earned() -> None:
    earned = {10: LineAward(100, 3), 11: LineAward(40, 1)}
    first = reversal(earned, {}, {10: 1})
    assert first == {10: LineAward(33, 1)}
    second = reversal(earned, first, {10: 1})
    assert second == {10: LineAward(34, 1)}  # 2/3 of 100 rounds to 67 in total
    done = {10: LineAward(67, 2)}
    assert reversal(earned, done, {10: 5, 11: 1}) == {10: LineAward(33, 1), 11: LineAward(40, 1)}
    assert reversal(earned, {}, {99: 1}) == {}


def test_a_reversal_takes_from_its_own_lot_then_oldest_then_leaves_a_debt() -> None:
    today = date(2024, 12, 1)
    origin = LOTS[0]
    plan = plan_reversal(LOTS, 420, origin, 0, today)
    assert plan.taken == [(3, 300), (1, 100), (2, 20)] and plan.debt == 0
    plan = plan_reversal(LOTS, 500, origin, 0, today)
    assert plan.debt == 50


def test_points_already_expired_are_not_taken_twice() -> None:
    origin = Lot(5, date(2023, 1, 1), date(2024, 1, 1), 0)
    plan = plan_reversal(LOTS, 80, origin, 60, date(2024, 12, 1))
    assert plan.forgiven == 60 and plan.taken == [(1, 20)]


def test_a_new_lot_pays_debts_oldest_first() -> None:
    assert settle_debts(70, [(8, 50), (9, 40)]) == [(8, 50), (9, 20)]
    assert settle_debts(0, [(8, 50)]) == []


def test_points_value() -> None:
    assert points_value(RedemptionRules(point_value=Decimal("0.01")), 1234) == Decimal("12.34")
