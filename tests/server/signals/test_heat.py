"""The heat index: decay, the last eight weekly values, and an alert after two consecutive weekly falls."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.signals.heat import (
    DailyActivity,
    HeatSettings,
    WeeklyHeat,
    heat_alert,
    heat_at,
    last_week_end,
    weekly_heat,
)

SETTINGS = HeatSettings()
DAY = date(2024, 1, 1)
VISIT = [DailyActivity(DAY, "visit"), DailyActivity(DAY, "purchase")]


@pytest.mark.parametrize(
    ("acts", "on", "heat"),
    [
        (VISIT, DAY, 30),
        (VISIT, DAY + timedelta(days=30), 16),  # one half-life later
        (VISIT, DAY - timedelta(days=1), 0),  # not yet happened
        ([DailyActivity(DAY, "interaction")], DAY, 7),
        ([DailyActivity(DAY, "response", 3)], DAY, 26),
        ([DailyActivity(DAY, "purchase", 200)], DAY, 100),
        ([], DAY, 0),
    ],
)
def test_heat_at(acts: list[DailyActivity], on: date, heat: int) -> None:
    assert heat_at(acts, on, SETTINGS) == heat


@pytest.mark.parametrize(
    ("today", "week_end"),
    [
        (date(2024, 6, 3), date(2024, 6, 2)),
        (date(2024, 6, 9), date(2024, 6, 2)),
        (date(2024, 6, 10), date(2024, 6, 9)),
    ],
)
def test_weeks_end_on_the_sunday_before_today(today: date, week_end: date) -> None:
    assert last_week_end(today) == week_end


def _weekly_shopper() -> list[DailyActivity]:
    """Every Wednesday from 6 March to 15 May 2024, then nothing."""
    acts = []
    day = date(2024, 3, 6)
    while day <= date(2024, 5, 15):
        acts += [DailyActivity(day, "visit"), DailyActivity(day, "purchase")]
        day += timedelta(days=7)
    return acts


def test_the_last_eight_weeks_rise_then_fall_after_the_member_stops_coming() -> None:
    weekly = weekly_heat(_weekly_shopper(), date(2024, 6, 3), SETTINGS)
    assert [w.week_end for w in weekly] == [date(2024, 6, 2) - timedelta(weeks=k) for k in range(7, -1, -1)]
    assert [w.value for w in weekly] == [73, 76, 79, 81, 82, 83, 78, 72]


@pytest.mark.parametrize(
    ("today", "alert"),
    [
        (date(2024, 5, 27), None),  # one fall only
        (date(2024, 6, 3), (83, 78, 72)),  # second consecutive fall: alert
        (date(2024, 6, 7), (83, 78, 72)),  # same week, same alert (deduplicated by week when stored)
        (date(2024, 6, 10), None),  # the streak goes on: no new alert
    ],
)
def test_an_alert_after_two_consecutive_weekly_falls(today: date, alert: tuple[int, int, int] | None) -> None:
    found = heat_alert(weekly_heat(_weekly_shopper(), today, SETTINGS), SETTINGS)
    assert (found.values if found else None) == alert


def _weeks(*values: int) -> list[WeeklyHeat]:
    return [WeeklyHeat(date(2024, 1, 7) + timedelta(weeks=i), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "alerted"),
    [
        ((50, 50, 45, 40), True),
        ((50, 45, 40), True),
        ((60, 55, 50, 45), False),  # already falling the week before
        ((50, 48, 46), False),  # falls of 2 are noise
        ((18, 14, 10), False),  # already cold
        ((50, 45, 47), False),
        ((40, 35), False),
    ],
)
def test_alert_rules(values: tuple[int, ...], alerted: bool) -> None:
    assert (heat_alert(_weeks(*values), SETTINGS) is not None) is alerted
