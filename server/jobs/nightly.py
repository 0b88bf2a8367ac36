"""The nightly job: expire points, review tiers, retag every member, raise heat alerts and reminders
(expiring points and benefits, follow-ups staff asked for), and queue the members' notices (tier
changes, expiring points and benefits, birthdays, tomorrow's member day).

Each step is idempotent (expiry keys per lot, events and messages deduplicated per key), so running the
job twice in a night, or again after a failure, does no harm.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.events.service import raise_heat_alerts
from server.interactions.service import remind_follow_ups
from server.jobs.notices import announce_member_day, greet_birthdays
from server.loyalty.benefit_service import remind_benefits
from server.loyalty.review import TierReview, expire_points, remind_expiring_points, review_tiers
from server.tags.service import RetagResult, retag


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


def run_nightly(session: Session, now: datetime) -> NightlyReport:
    """Run every nightly step in one unit of work (the caller commits)."""
    report = NightlyReport()

    def timed(name: str) -> float:
        elapsed = time.perf_counter() - started
        report.seconds[name] = round(elapsed, 3)
        return time.perf_counter()

    started = time.perf_counter()
    # Birthday coupons first: issuing locks the coupon template before the member, and expiry below
    # locks members, so issuing later would take the locks in the other order.
    report.notices["birthday"] = greet_birthdays(session, now)
    started = timed("birthdays")
    # Expiry next: the tier review and the tag facts should see today's balances.
    report.points_expired = expire_points(session, now)
    started = timed("points_expiry")
    report.tiers = review_tiers(session, now)
    started = timed("tier_review")
    report.tags = retag(session, now)
    started = timed("retag")
    report.heat_alerts = raise_heat_alerts(session, now)
    started = timed("heat_alerts")
    report.notices["tier_change"] = report.tiers.notices
    report.points_reminders = remind_expiring_points(session, now, queued=report.notices)
    report.benefit_reminders = remind_benefits(session, now, queued=report.notices)
    report.follow_up_reminders = remind_follow_ups(session, now)
    started = timed("reminders")
    report.notices["member_day"] = announce_member_day(session, now)
    timed("member_day")
    session.flush()
    return report
