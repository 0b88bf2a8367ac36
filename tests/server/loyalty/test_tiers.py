"""The tier ladder, growth over the rolling window, the up/down decision and the progress text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from server.loyalty.tiers import (
    DEFAULT_LADDER,
    Activity,
    Growth,
    TierDefinition,
    TierLadder,
    decide,
    growth,
    progress,
    qualified_tier,
)


def tier(name: str, spend: str, visits: int) -> TierDefinition:
    return TierDefinition(name=name, min_spend=Decimal(spend), min_visits=visits)


LADDER = TierLadder(
    tiers=[
        tier("new", "0", 0),
        tier("growing", "500", 4),
        tier("loyal", "2000", 10),
        tier("VIP", "5000", 24),
    ],
    window_days=365,
    downgrade_grace_days=30,
)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([tier("new", "0", 0), tier("VIP", "500", 4), tier("vip", "900", 8)], "unique"),
        ([tier("new", "0", 0), tier("loyal", "2000", 10), tier("growing", "500", 4)], "at least as much"),
        ([tier("new", "0", 0), tier("a", "500", 4), tier("b", "500", 4)], "exactly what"),
        ([tier("new", "10", 0), tier("VIP", "500", 4)], "must need no spend"),
        ([], "at least 1"),
    ],
)
def test_a_badly_ordered_or_duplicated_ladder_is_refused(tiers: list[TierDefinition], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TierLadder(tiers=tiers)


def test_the_default_ladder_is_new_growing_loyal_vip() -> None:
    assert [t.name for t in DEFAULT_LADDER.tiers] == ["new", "growing", "loyal", "VIP"]


def test_growth_counts_the_window_inclusively_and_returns_on_the_sale_day() -> None:
    today = date(2024, 6, 30)
    acts = [
        Activity(date(2023, 7, 2), Decimal("100"), True),  # day 1 of the 365-day window
        Activity(date(2023, 7, 1), Decimal("999"), True),  # one day too old
        Activity(date(2024, 6, 30), Decimal("50"), True),
        Activity(date(2024, 6, 30), Decimal("25"), True),  # same day: one visit
        Activity(date(2024, 6, 30), Decimal("-30"), False),  # a return of today's sale
        Activity(date(2024, 7, 1), Decimal("500"), True),  # tomorrow: not yet
    ]
    g = growth(acts, 365, today)
    assert (g.spend, g.visits) == (Decimal("145.00"), 2)


def test_returns_never_make_spend_negative() -> None:
    g = growth([Activity(date(2024, 1, 5), Decimal("-80"), False)], 365, date(2024, 1, 10))
    assert g.spend == Decimal("0.00")


@pytest.mark.parametrize(
    ("spend", "visits", "expected"),
    [("0", 0, "new"), ("499.99", 3, "new"), ("500", 0, "growing"), ("10", 10, "loyal"), ("5000", 1, "VIP")],
)
def test_either_spend_or_visits_qualifies(spend: str, visits: int, expected: str) -> None:
    assert qualified_tier(LADDER, Growth(Decimal(spend), visits, date(2024, 1, 1))).name == expected


def test_both_needed_when_the_ladder_says_so() -> None:
    strict = LADDER.model_copy(update={"qualify": "spend_and_visits"})
    assert qualified_tier(strict, Growth(Decimal("6000"), 5, date(2024, 1, 1))).name == "growing"


NOW = datetime(2024, 6, 30, 20, tzinfo=UTC)
SINCE_LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)
SINCE_LAST_WEEK = datetime(2024, 6, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "since", "spend", "trigger", "new", "direction", "reason"),
    [
        (
            "growing",
            SINCE_LONG_AGO,
            "2100",
            "purchase",
            "loyal",
            "up",
            "upgraded to loyal by purchase: spend 2100.00",
        ),
        ("VIP", SINCE_LONG_AGO, "100", "purchase", "VIP", "same", "stays VIP"),  # buying never downgrades
        ("VIP", SINCE_LONG_AGO, "1900", "return", "growing", "down", "downgraded to growing by return"),
        (
            "loyal",
            SINCE_LONG_AGO,
            "600",
            "review",
            "growing",
            "down",
            "below (loyal needs spend 2000.00 or 10",
        ),
        ("loyal", SINCE_LAST_WEEK, "600", "review", "loyal", "same", "held for 5 of 30 grace days"),
        ("gold", SINCE_LONG_AGO, "600", "review", "growing", "up", "tier gold no longer exists"),
    ],
)
def test_decide(
    current: str, since: datetime, spend: str, trigger: str, new: str, direction: str, reason: str
) -> None:
    g = Growth(Decimal(spend), 1, NOW.date())
    d = decide(LADDER, current, since, g, trigger, NOW)  # type: ignore[arg-type]
    assert (d.new, d.direction) == (new, direction)
    assert reason in d.reason


@pytest.mark.parametrize(
    ("qualify", "current", "spend", "visits", "text"),
    [
        ("spend_or_visits", "loyal", "4800", 21, "200.00 more or 3 more visits to VIP"),
        ("spend_or_visits", "new", "499", 3, "1.00 more or 1 more visit to growing"),
        ("spend_and_visits", "loyal", "4800", 30, "200.00 more to VIP"),
        ("spend_and_visits", "loyal", "6000", 21, "3 more visits to VIP"),
        ("spend_or_visits", "VIP", "9000", 40, "VIP is the top tier"),
    ],
)
def test_progress_text(qualify: str, current: str, spend: str, visits: int, text: str) -> None:
    ladder = LADDER.model_copy(update={"qualify": qualify})
    p = progress(ladder, current, Growth(Decimal(spend), visits, date(2024, 1, 1)))
    assert p.text == text
