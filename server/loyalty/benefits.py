"""Benefits per tier as data: which a member may use today, how many uses are left, what lapses soon."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.core.words import counted

Period = Literal["year", "month", "birthday_month", "membership_year"]


class BenefitDefinition(BaseModel):
    """A benefit: who gets it (tiers), how often (quota per period; None = without limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    tiers: list[str] = Field(min_length=1)
    quota: int | None = Field(None, ge=1)
    period: Period = "year"


DEFAULT_BENEFITS = [
    BenefitDefinition(code="free_wrapping", name="Free gift wrapping", tiers=["loyal", "VIP"], quota=12),
    BenefitDefinition(code="priority_returns", name="Priority returns", tiers=["loyal", "VIP"]),
    BenefitDefinition(code="personal_consultant", name="Personal consultant", tiers=["VIP"]),
    BenefitDefinition(
        code="birthday_discount",
        name="Birthday discount",
        description="10% off one purchase in the birthday month",
        tiers=["growing", "loyal", "VIP"],
        quota=1,
        period="birthday_month",
    ),
]


@dataclass(frozen=True)
class BenefitStatus:
    """A benefit as it stands for one member today."""

    code: str
    name: str
    available: bool
    remaining: int | None  # None: no limit
    valid_until: date | None  # last day of the current period (None: no limit in time)
    reason: str
    # The reason as data for a phone to word in its own language: not_for_tier, no_birthday,
    # birthday_month (out of season), included, left or used_up.
    reason_code: str = ""


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _anniversary(joined: date, year: int) -> date:
    day = min(joined.day, calendar.monthrange(year, joined.month)[1])
    return date(year, joined.month, day)


def period_bounds(
    period: Period, today: date, birthday: date | None, joined_on: date
) -> tuple[date, date] | None:
    """First and last day of the period containing today, or None when the benefit is out of season."""
    if period == "year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if period == "month":
        return today.replace(day=1), _month_end(today)
    if period == "birthday_month":
        if birthday is None or birthday.month != today.month:
            return None
        return today.replace(day=1), _month_end(today)
    start = _anniversary(joined_on, today.year)
    if start > today:
        start = _anniversary(joined_on, today.year - 1)
    return start, _anniversary(joined_on, start.year + 1) - timedelta(days=1)


def status(
    benefit: BenefitDefinition,
    tier: str,
    today: date,
    used_on: Iterable[date],
    birthday: date | None,
    joined_on: date,
) -> BenefitStatus:
    """Whether the member may use the benefit today and how many uses remain in this period."""
    b = benefit
    if tier not in b.tiers:
        return BenefitStatus(
            b.code, b.name, False, 0, None, f"for {', '.join(b.tiers)} members", "not_for_tier"
        )
    bounds = period_bounds(b.period, today, birthday, joined_on)
    if bounds is None:
        if birthday is None:
            return BenefitStatus(b.code, b.name, False, 0, None, "no birthday on file", "no_birthday")
        reason = f"valid in {calendar.month_name[birthday.month]}"
        return BenefitStatus(b.code, b.name, False, 0, None, reason, "birthday_month")
    start, end = bounds
    if b.quota is None:
        return BenefitStatus(
            b.code, b.name, True, None, None if b.period != "birthday_month" else end, "included", "included"
        )
    used = sum(1 for day in used_on if start <= day <= end)
    left = max(b.quota - used, 0)
    reason = (
        f"{left} of {b.quota} left until {end.isoformat()}"
        if left
        else f"used {used} of {b.quota} this period"
    )
    return BenefitStatus(b.code, b.name, left > 0, left, end, reason, "left" if left else "used_up")


def statuses(
    benefits: Sequence[BenefitDefinition],
    tier: str,
    today: date,
    usages: Iterable[tuple[str, date]],
    birthday: date | None,
    joined_on: date,
) -> list[BenefitStatus]:
    """Every benefit's status for one member; `usages` are (benefit code, day used)."""
    by_code: dict[str, list[date]] = {}
    for code, day in usages:
        by_code.setdefault(code, []).append(day)
    return [status(b, tier, today, by_code.get(b.code, []), birthday, joined_on) for b in benefits]


@dataclass(frozen=True)
class BenefitReminder:
    """Unused benefit uses that lapse soon."""

    code: str
    remaining: int
    expires_on: date
    text: str


def reminders(states: Iterable[BenefitStatus], today: date, within_days: int = 14) -> list[BenefitReminder]:
    """Benefits with uses left whose period ends within `within_days` days (today included)."""
    out = []
    for s in states:
        if s.available and s.remaining and s.valid_until and (s.valid_until - today).days <= within_days:
            left = (s.valid_until - today).days
            when = "today" if left == 0 else f"in {counted(left, 'day')}"
            use = "use" if s.remaining == 1 else "uses"
            text = f"{s.remaining} {s.name.lower()} {use} left, expiring {when} ({s.valid_until.isoformat()})"
            out.append(BenefitReminder(s.code, s.remaining, s.valid_until, text))
    return out
