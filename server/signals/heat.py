"""The heat index (0-100): how warm a member's relationship with the store is, from decaying activity.

Each visit, purchase, staff interaction and reply to a message adds its weight, halving every
`half_life_days`; the sum is squashed to 0-100. The index is sampled at the end of each of the last eight
completed weeks (Sunday, UTC); two consecutive weekly falls raise one alert for the member's consultant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["visit", "purchase", "interaction", "response"]
HORIZON_DAYS = 240  # activity older than this adds under 1% to the heat index
WEEKS = 8  # weekly values shown on the profile and read for alerts


class HeatSettings(BaseModel):
    """Weights per kind of activity, the decay, and what counts as a fall worth an alert."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visit: float = Field(8.0, ge=0)
    purchase: float = Field(6.0, ge=0)
    interaction: float = Field(3.0, ge=0)
    response: float = Field(4.0, ge=0)
    half_life_days: float = Field(30.0, gt=0)
    scale: float = Field(40.0, gt=0)  # a steady weekly shopper sits near 90
    min_drop: int = Field(3, ge=1)  # a weekly fall smaller than this is noise
    min_level: int = Field(20, ge=0)  # a member already this cold is not news

    def weight(self, kind: Kind) -> float:
        """The weight of one activity of this kind."""
        return float(getattr(self, kind))


@dataclass(frozen=True)
class DailyActivity:
    """How many activities of one kind a member had on one day."""

    on: date
    kind: Kind
    count: int = 1


@dataclass(frozen=True)
class WeeklyHeat:
    """The heat index at the end of the week that ends on `week_end` (a Sunday)."""

    week_end: date
    value: int


def heat_at(activities: Iterable[DailyActivity], day: date, settings: HeatSettings) -> int:
    """The heat index at the end of `day`, from activities on that day and before."""
    rate = math.log(2) / settings.half_life_days
    weights = {kind: settings.weight(kind) for kind in ("visit", "purchase", "interaction", "response")}
    score = 0.0
    for act in activities:
        age = (day - act.on).days
        if age >= 0:
            score += weights[act.kind] * act.count * math.exp(-rate * age)
    return round(100 * (1 - math.exp(-score / settings.scale)))


def history_start(now: datetime) -> datetime:
    """The earliest activity that counts towards any of the last `WEEKS` weekly values."""
    return now - timedelta(days=HORIZON_DAYS + 7 * WEEKS)


def last_week_end(today: date) -> date:
    """The Sunday that closed the most recent completed week (yesterday when today is Monday)."""
    return today - timedelta(days=today.weekday() + 1)


def weekly_heat(
    activities: Sequence[DailyActivity], today: date, settings: HeatSettings, weeks: int = 8
) -> list[WeeklyHeat]:
    """The heat index at the end of each of the last `weeks` completed weeks, oldest first."""
    end = last_week_end(today)
    ends = [end - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    return [WeeklyHeat(e, heat_at(activities, e, settings)) for e in ends]


@dataclass(frozen=True)
class HeatAlert:
    """Two weekly falls in a row, ending on `week_end`."""

    week_end: date
    values: tuple[int, int, int]
    text: str


def _fell(before: int, after: int, settings: HeatSettings) -> bool:
    return before - after >= settings.min_drop


def heat_alert(weekly: Sequence[WeeklyHeat], settings: HeatSettings) -> HeatAlert | None:
    """An alert when the last two weeks both fell, raised once per falling streak (not every week after)."""
    if len(weekly) < 3:
        return None
    a, b, c = (w.value for w in weekly[-3:])
    if not (_fell(a, b, settings) and _fell(b, c, settings)) or a < settings.min_level:
        return None
    if len(weekly) >= 4 and _fell(weekly[-4].value, a, settings):
        return None  # the streak began earlier: its alert was raised a week ago
    text = (
        f"heat index fell two weeks running: {a} → {b} → {c} (week ending {weekly[-1].week_end.isoformat()})"
    )
    return HeatAlert(weekly[-1].week_end, (a, b, c), text)
