"""Points for showing up and taking part: the daily check-in (签到) with a streak bonus, and activities.

Pure rules and arithmetic; `activity_service.py` writes the ledger. A check-in counts once per day in
the store's time zone; an activity (an event attended, a survey answered) once per member and reference.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

ACTIVITY_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ActivityRules(BaseModel):
    """What a check-in and each kind of activity earn, and how long those points last."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check_in_points: int = Field(5, ge=0, le=10_000)
    # Every `streak_days`-th day in a row earns `streak_bonus` on top; 0 turns the bonus off.
    streak_days: int = Field(7, ge=0, le=366)
    streak_bonus: int = Field(20, ge=0, le=100_000)
    activities: dict[str, int] = Field(default_factory=lambda: {"event_attended": 50, "survey_answered": 20})
    # None: as long as points earned by purchases last.
    lifetime_days: int | None = Field(None, ge=1, le=3660)

    @field_validator("activities")
    @classmethod
    def _names_and_points(cls, value: dict[str, int]) -> dict[str, int]:
        for name, points in value.items():
            if not ACTIVITY_NAME.match(name):
                raise ValueError(f"activity name {name!r}: use 2-40 lower-case letters, digits or _")
            if not 0 < points <= 100_000:
                raise ValueError(f"activity {name!r}: points must be 1 to 100000, got {points}")
        return value


def streak(checked_days: set[date], today: date) -> int:
    """Days in a row ending today, counting today, given the earlier days the member checked in."""
    run = 1
    while today - timedelta(days=run) in checked_days:
        run += 1
    return run


def check_in_points(rules: ActivityRules, run: int) -> tuple[int, int]:
    """(base points, streak bonus) for a check-in that makes a run of `run` days."""
    bonus = rules.streak_bonus if rules.streak_days and run % rules.streak_days == 0 else 0
    return rules.check_in_points, bonus
