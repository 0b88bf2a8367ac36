"""The nightly job: expire points, review tiers, retag every member, raise heat alerts and reminders
(expiring points and benefits, follow-ups staff asked for), and queue the members' notices (tier
changes, expiring points and benefits, birthdays, tomorrow's member day).

Each step is idempotent (expiry keys per lot, events and messages deduplicated per key), so running the
job twice in a night, or again after a failure, does no harm. `run_nightly` runs every step over every
member in one unit of work; `server.jobs.shared` runs the same steps as chunks of members that several
workers share (`aisle jobs nightly --share`), and both fold the steps' figures into a `NightlyReport`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.db.queries import IdRange
from server.events.service import raise_heat_alerts
from server.interactions.service import remind_follow_ups
from server.jobs.notices import announce_member_day, greet_birthdays
from server.loyalty.benefit_service import remind_benefits
from server.loyalty.review import TierReview, expire_points, remind_expiring_points, review_tiers
from server.tags.service import RetagResult, retag

Figures = dict[str, Any]


@dataclass
class NightlyReport:
    """What the nightly job did, and how long each step took."""

    points_expired: int = 0
    tiers: TierReview | None = None
    tags: RetagResult | None = None
    heat_alerts: int = 0
    points_reminders: int = 0
    benefit_reminders: int = 0
    follow_up_reminders: int = 0
    # Member messages queued this run, by purpose (tier_change, points_expiry, benefit_expiry, birthday,
    # member_day); a second run the same night adds none (their keys are taken).
    notices: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def _birthdays(session: Session, now: datetime, members: IdRange | None) -> Figures:
    return {"notices": {"birthday": greet_birthdays(session, now, members)}}


def _expiry(session: Session, now: datetime, members: IdRange | None) -> Figures:
    return {"points_expired": expire_points(session, now, members)}


def _tiers(session: Session, now: datetime, members: IdRange | None) -> Figures:
    review = review_tiers(session, now, members)
    return {"tiers": asdict(review), "notices": {"tier_change": review.notices}}


def _tags(session: Session, now: datetime, members: IdRange | None) -> Figures:
    return {"tags": asdict(retag(session, now, members))}


def _heat(session: Session, now: datetime, members: IdRange | None) -> Figures:
    return {"heat_alerts": raise_heat_alerts(session, now, members=members)}


def _points_reminders(session: Session, now: datetime, members: IdRange | None) -> Figures:
    queued: dict[str, int] = {"points_expiry": 0}
    return {"points_reminders": remind_expiring_points(session, now, queued=queued, members=members)} | {
        "notices": queued
    }


def _benefit_reminders(session: Session, now: datetime, members: IdRange | None) -> Figures:
    queued: dict[str, int] = {"benefit_expiry": 0}
    return {"benefit_reminders": remind_benefits(session, now, queued=queued, members=members)} | {
        "notices": queued
    }


def _follow_ups(session: Session, now: datetime, _members: IdRange | None) -> Figures:
    return {"follow_up_reminders": remind_follow_ups(session, now)}


def _member_day(session: Session, now: datetime, members: IdRange | None) -> Figures:
    return {"notices": {"member_day": announce_member_day(session, now, members=members)}}


@dataclass(frozen=True)
class Step:
    """One step of the night: what it runs, the report's timer it counts under, and whether it can be
    split by member (follow-up reminders are per staff member, so they run as one chunk)."""

    name: str
    run: Callable[[Session, datetime, IdRange | None], Figures]
    timer: str
    member_wise: bool = True


# In this order, each step's chunks all done before the next step's start: birthday coupons before
# expiry (issuing locks the coupon template before the member, expiry locks members), expiry before the
# tier review and the tag facts (they should see today's balances), tiers before tags and reminders.
STEPS: tuple[Step, ...] = (
    Step("birthdays", _birthdays, "birthdays"),
    Step("points_expiry", _expiry, "points_expiry"),
    Step("tier_review", _tiers, "tier_review"),
    Step("retag", _tags, "retag"),
    Step("heat_alerts", _heat, "heat_alerts"),
    Step("points_reminders", _points_reminders, "reminders"),
    Step("benefit_reminders", _benefit_reminders, "reminders"),
    Step("follow_ups", _follow_ups, "reminders", member_wise=False),
    Step("member_day", _member_day, "member_day"),
)
STEP_NAMES = {step.name: step for step in STEPS}


def run_step(session: Session, step: Step, now: datetime, members: IdRange | None) -> Figures:
    """Run one step (over `members`, or everyone) and return its figures, with the seconds it took."""
    started = time.perf_counter()
    figures = step.run(session, now, members if step.member_wise else None)
    session.flush()
    return figures | {"seconds": {step.timer: time.perf_counter() - started}}


def fold(total: Figures, figures: Figures) -> Figures:
    """Add one chunk's figures into `total`: numbers summed, tallies merged, lists joined without repeats."""
    for key, value in figures.items():
        if isinstance(value, dict):
            fold(total.setdefault(key, {}), value)
        elif isinstance(value, list):
            seen = total.setdefault(key, [])
            seen.extend(v for v in value if v not in seen)
        else:
            total[key] = total.get(key, 0) + value
    return total


def report_of(chunks: Iterable[Figures]) -> NightlyReport:
    """The night's report from its steps' (or chunks') figures, in the job's order."""
    total: Figures = {}
    for figures in chunks:
        fold(total, figures)
    tiers, tags = total.pop("tiers", None), total.pop("tags", None)
    seconds = {name: round(value, 3) for name, value in total.pop("seconds", {}).items()}
    return NightlyReport(
        tiers=TierReview(**tiers) if tiers is not None else None,
        tags=RetagResult(**tags) if tags is not None else None,
        seconds=seconds,
        **total,
    )


def run_nightly(session: Session, now: datetime) -> NightlyReport:
    """Run every nightly step over every member in one unit of work (the caller commits)."""
    return report_of(run_step(session, step, now, None) for step in STEPS)
