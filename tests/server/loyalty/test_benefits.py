"""Benefits per tier: availability, quotas per period, the birthday month, and reminders before they lapse."""

from __future__ import annotations

from datetime import date

import pytest

from server.loyalty.benefits import (
    DEFAULT_BENEFITS,
    BenefitDefinition,
    period_bounds,
    reminders,
    status,
    statuses,
)

WRAPPING = BenefitDefinition(code="free_wrapping", name="Free wrapping", tiers=["loyal", "VIP"], quota=2)
BIRTHDAY = BenefitDefinition(
    code="birthday_discount", name="Birthday discount", tiers=["VIP"], quota=1, period="birthday_month"
)
CONSULTANT = BenefitDefinition(code="personal_consultant", name="Personal consultant", tiers=["VIP"])
JOINED = date(2022, 2, 28)


@pytest.mark.parametrize(
    ("benefit", "tier", "today", "used", "birthday", "available", "remaining", "reason"),
    [
        (WRAPPING, "growing", date(2024, 5, 1), [], None, False, 0, "for loyal, VIP members"),
        (
            WRAPPING,
            "loyal",
            date(2024, 5, 1),
            [date(2023, 12, 30)],
            None,
            True,
            2,
            "2 of 2 left until 2024-12-31",
        ),
        (
            WRAPPING,
            "loyal",
            date(2024, 5, 1),
            [date(2024, 1, 3), date(2024, 4, 9)],
            None,
            False,
            0,
            "used 2 of 2",
        ),
        (BIRTHDAY, "VIP", date(2024, 5, 1), [], None, False, 0, "no birthday on file"),
        (BIRTHDAY, "VIP", date(2024, 5, 1), [], date(1990, 7, 14), False, 0, "valid in July"),
        (BIRTHDAY, "VIP", date(2024, 7, 2), [], date(1990, 7, 14), True, 1, "1 of 1 left until 2024-07-31"),
        (BIRTHDAY, "VIP", date(2024, 7, 20), [date(2024, 7, 2)], date(1990, 7, 14), False, 0, "used 1 of 1"),
        (CONSULTANT, "VIP", date(2024, 7, 20), [date(2024, 7, 2)], None, True, None, "included"),
    ],
)
def test_status(
    benefit: BenefitDefinition,
    tier: str,
    today: date,
    used: list[date],
    birthday: date | None,
    available: bool,
    remaining: int | None,
    reason: str,
) -> None:
    s = status(benefit, tier, today, used, birthday, JOINED)
    assert (s.available, s.remaining) == (available, remaining)
    assert reason in s.reason


def test_membership_year_runs_from_the_join_anniversary() -> None:
    assert period_bounds("membership_year", date(2024, 2, 10), None, JOINED) == (
        date(2023, 2, 28),
        date(2024, 2, 27),
    )
    assert period_bounds("membership_year", date(2024, 3, 1), None, JOINED) == (
        date(2024, 2, 28),
        date(2025, 2, 27),
    )


def test_reminders_name_the_uses_left_and_the_day_they_lapse() -> None:
    states = statuses(
        [WRAPPING, BIRTHDAY, CONSULTANT],
        "VIP",
        date(2024, 12, 20),
        [("free_wrapping", date(2024, 3, 1))],
        date(1990, 12, 5),
        JOINED,
    )
    found = reminders(states, date(2024, 12, 20), within_days=14)
    assert [(r.code, r.remaining, r.expires_on) for r in found] == [
        ("free_wrapping", 1, date(2024, 12, 31)),
        ("birthday_discount", 1, date(2024, 12, 31)),
    ]
    assert found[0].text == "1 free wrapping use left, expiring in 11 days (2024-12-31)"
    assert reminders(states, date(2024, 12, 10), within_days=14) == []


def test_default_benefits_cover_the_issue() -> None:
    codes = {b.code for b in DEFAULT_BENEFITS}
    assert {"free_wrapping", "priority_returns", "personal_consultant", "birthday_discount"} <= codes
