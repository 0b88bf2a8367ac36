"""What must never happen to journeys, counted from the database after bench/journeys.py's week.

- double_sends: journey-keyed outbox rows beyond one per enrolment and node (the seed journeys have no
  loops, so a node is reached once), plus rows beyond one per key;
- double_coupons: the same for coupons issued by journeys;
- double_enrolments: (journey, member, entry key) groups beyond one, plus members entered more than once
  in a journey that admits them `once` or in one campaign version;
- missed_due_steps: steps still due at or before the final simulated time once the workers drained, and
  events never consumed; lost_sends: send steps recorded as queued with no outbox row; stranded_enrolments:
  active enrolments with no step waiting (one lost its next step).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from server.core.context import AppContext
from server.db.tables import (
    AutomationEvent,
    Coupon,
    Journey,
    JourneyEnrolment,
    JourneyStep,
    JourneyVersion,
    OutboxMessage,
)


def _excess(counts: Counter[Any]) -> int:
    return sum(n - 1 for n in counts.values() if n > 1)


def _by_node(keys: list[str]) -> Counter[tuple[str, str]]:
    """journey:<enrolment>:<node>:<visit> -> (enrolment, node)."""
    out: Counter[tuple[str, str]] = Counter()
    for key in keys:
        _, enrolment, node, _visit = key.split(":")
        out[enrolment, node] += 1
    return out


def audit(context: AppContext, final: datetime) -> dict[str, Any]:
    """The violation counts (see the module docstring) and what the week came to."""
    with context.sessions() as s:
        sends = list(
            s.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.like("journey:%")))
        )
        coupons = list(
            s.scalars(select(Coupon.idempotency_key).where(Coupon.idempotency_key.like("journey:%")))
        )
        enrolments = s.execute(
            select(
                JourneyEnrolment.journey_id,
                JourneyEnrolment.member_id,
                JourneyEnrolment.entry_key,
                JourneyEnrolment.version_id,
            )
        ).all()
        reentry = {v.id: v.definition.get("reentry") for v in s.scalars(select(JourneyVersion))}
        missed = s.scalar(
            select(func.count())
            .select_from(JourneyStep)
            .where(JourneyStep.status == "due", JourneyStep.due_at <= final)
        )
        # An active enrolment always has a step waiting (the end of its path completes it): one without
        # lost its next step.
        waiting = select(JourneyStep.id).where(
            JourneyStep.enrolment_id == JourneyEnrolment.id, JourneyStep.status == "due"
        )
        stranded = s.scalar(
            select(func.count())
            .select_from(JourneyEnrolment)
            .where(JourneyEnrolment.status == "active", ~waiting.exists())
        )
        unconsumed = s.scalar(
            select(func.count()).select_from(AutomationEvent).where(AutomationEvent.consumed_at.is_(None))
        )
        steps = s.execute(select(JourneyStep.status, JourneyStep.outcome, JourneyStep.detail)).all()
        per_journey = dict(
            s.execute(
                select(Journey.slug, func.count())
                .join(JourneyEnrolment, JourneyEnrolment.journey_id == Journey.id)
                .group_by(Journey.slug)
            ).all()
        )
        step_journeys = dict(
            s.execute(
                select(Journey.slug, func.count())
                .join(JourneyEnrolment, JourneyEnrolment.journey_id == Journey.id)
                .join(JourneyStep, JourneyStep.enrolment_id == JourneyEnrolment.id)
                .group_by(Journey.slug)
            ).all()
        )
    keyed = Counter((j, m, k) for j, m, k, _ in enrolments)
    once = Counter((j, m) for j, m, k, v in enrolments if reentry[v] == "once" or k.startswith("audience:"))
    queued = {detail for status, outcome, detail in steps if outcome == "queued"}
    return {
        "enrolments": len(enrolments),
        "steps": len(steps),
        "double_sends": _excess(Counter(sends)) + _excess(_by_node(sends)),
        "double_enrolments": _excess(keyed) + _excess(once),
        "missed_due_steps": int(missed or 0) + int(unconsumed or 0),
        "double_coupons": _excess(Counter(coupons)) + _excess(_by_node(coupons)),
        "lost_sends": len(queued - set(sends)),
        "stranded_enrolments": int(stranded or 0),
        "journey_messages": len(sends),
        "journey_coupons": len(coupons),
        "step_outcomes": dict(Counter(o or st for st, o, _ in steps)),
        "enrolments_per_journey": {k.removeprefix("seed-"): v for k, v in sorted(per_journey.items())},
        "steps_per_journey": {k.removeprefix("seed-"): v for k, v in sorted(step_journeys.items())},
    }
