"""Date triggers, found by set-based sweeps: one query per trigger and day, never a loop over members.

Only the triggers live journeys use are swept, each once a day (the first worker to insert the day's
`automation_sweeps` row runs it, in the same transaction as the events it writes). Days are UTC days,
like the nightly job's. A campaign's audience is swept once per published version.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.orm import Session

from server.automations import definitions as d
from server.automations import repository as repo
from server.automations.engine import Live, live_journeys
from server.automations.replenishment_sweep import sweep_replenishment
from server.business_events.events import NewEvent, emit_many
from server.db.tables import Coupon, Member, Transaction
from server.loyalty import repository as loyalty_repo
from server.loyalty.benefits import reminders, statuses
from server.loyalty.config import benefit_rows, definition, load_config
from server.loyalty.points import is_member_day
from server.tags.evaluation import compile_rule, facts_used
from server.tags.service import compute_facts

CHUNK = 5000  # members per query when a sweep selects many (a member day, a campaign)
PRUNE_AFTER_DAYS = 30


def _on(column: Any, day: date) -> Any:
    """A date column's month and day fall on `day` (29 February kept on 28 February in other years)."""
    month, dom = extract("month", column), extract("day", column)
    same = and_(month == day.month, dom == day.day)
    leap_day = day.month == 2 and day.day == 28 and (day + timedelta(days=1)).month == 3
    return or_(same, and_(month == 2, dom == 29)) if leap_day else same


def _ids(session: Session, stmt: Any) -> list[int]:
    return [int(i) for i in session.scalars(stmt)]


def _day_events(session: Session, trigger: d.DayTrigger, today: date, now: datetime) -> list[NewEvent]:
    n, target = trigger.days_before, today + timedelta(days=trigger.days_before)
    payload = {"days_before": n, "on": target.isoformat()}
    if trigger.type == "birthday":
        ids = _ids(
            session, select(Member.id).where(Member.birthday.is_not(None), _on(Member.birthday, target))
        )
    elif trigger.type == "anniversary":
        ids = _ids(
            session,
            select(Member.id).where(
                _on(Member.joined_on, target), extract("year", Member.joined_on) < target.year
            ),
        )
    else:
        if not is_member_day(load_config(session).earn, target):
            return []
        ids = _ids(session, select(Member.id).order_by(Member.id))
    return [
        NewEvent(trigger.type, m, f"{trigger.type}:{n}:{m}:{target.isoformat()}", now, None, dict(payload))
        for m in ids
    ]


def _lapsed_events(session: Session, trigger: d.LapsedTrigger, today: date, now: datetime) -> list[NewEvent]:
    day = today - timedelta(days=trigger.days)
    start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
    last = (
        select(Transaction.member_id, func.max(Transaction.occurred_at).label("last"))
        .where(Transaction.member_id.is_not(None), Transaction.kind == "sale")
        .group_by(Transaction.member_id)
        .subquery()
    )
    stmt = select(last.c.member_id).where(last.c.last >= start, last.c.last < start + timedelta(days=1))
    return [
        NewEvent(
            "lapsed", m, f"lapsed:{trigger.days}:{m}:{day.isoformat()}", now, None, {"days": trigger.days}
        )
        for m in _ids(session, stmt)
    ]


def _expiry_events(session: Session, trigger: d.ExpiryTrigger, today: date, now: datetime) -> list[NewEvent]:
    n, target = trigger.days_before, today + timedelta(days=trigger.days_before)
    base = {"days_before": n, "on": target.isoformat()}
    out: list[NewEvent] = []
    if trigger.type == "coupon_expiring":
        stmt = select(Coupon).where(Coupon.valid_until == target, Coupon.redeemed_at.is_(None))
        for c in session.scalars(stmt):
            payload = base | {"coupon_id": c.id, "coupon_code": c.code, "coupon_name": c.name_zh}
            out.append(
                NewEvent("coupon_expiring", c.member_id, f"coupon_expiring:{n}:{c.id}", now, None, payload)
            )
    elif trigger.type == "points_expiring":
        for member_id, first, points in loyalty_repo.expiring_by_member(session, today, n):
            if first == target:
                key = f"points_expiring:{n}:{member_id}:{target.isoformat()}"
                out.append(NewEvent("points_expiring", member_id, key, now, None, base | {"points": points}))
    else:
        rows = [r for r in benefit_rows(session) if r.quota is not None]
        defs, names = [definition(r) for r in rows], {r.code: r.name for r in rows}
        tiers = sorted({t for b in defs for t in b.tiers})
        if not tiers:
            return []
        used = loyalty_repo.benefit_uses(session, None, now - timedelta(days=400))
        for member_id, birthday, joined_on, tier in loyalty_repo.members_in_tiers(session, tiers):
            states = statuses(defs, tier, today, used.get(member_id, []), birthday, joined_on)
            for r in reminders(states, today, n):
                if r.expires_on == target:
                    key = f"benefit_expiring:{n}:{member_id}:{r.code}:{target.isoformat()}"
                    payload = base | {"benefit": r.code, "benefit_name": names[r.code]}
                    out.append(NewEvent("benefit_expiring", member_id, key, now, None, payload))
    return out


def _matching(session: Session, rule_raw: dict[str, Any], stores: set[int] | None, now: datetime) -> set[int]:
    """The members (of `stores`, or all) a rule selects now, a chunk of members at a time."""
    rule = d.parsed_rule(rule_raw, "trigger.rule")
    test, names = compile_rule(rule), facts_used(rule)
    stmt = select(Member.id).order_by(Member.id)
    if stores is not None:
        stmt = stmt.where(Member.home_store_id.in_(sorted(stores)))
    ids = _ids(session, stmt)
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        facts = compute_facts(session, now, part, names)
        found.update(m for m in part if m in facts and test(facts[m], now.date()))
    return found


def _segment_events(session: Session, live: Live, now: datetime, baseline: bool) -> list[NewEvent]:
    """Members who came into the segment since the last sweep (none on the first: that is the baseline)."""
    trigger = live.definition.trigger
    assert isinstance(trigger, d.SegmentTrigger)
    now_in = _matching(session, trigger.rule, live.stores, now)
    before = repo.segment_members(session, live.journey.id)
    came, left = now_in - before, before - now_in
    repo.move_segment(session, live.journey.id, came, left, now)
    if baseline:
        return []
    day = now.date().isoformat()
    payload = {"journey_id": live.journey.id}
    return [
        NewEvent("segment_entered", m, f"segment:{live.journey.id}:{m}:{day}", now, None, dict(payload))
        for m in sorted(came)
    ]


def _audience_events(session: Session, live: Live, store_id: int | None, now: datetime) -> list[NewEvent]:
    """The campaign's audience in one store (or the whole chain): everyone its rule selects now."""
    trigger = live.definition.trigger
    assert isinstance(trigger, d.AudienceTrigger)
    found = _matching(session, trigger.rule, None if store_id is None else {store_id}, now)
    payload = {"journey_id": live.journey.id, "version_id": live.version.id}
    return [
        NewEvent("audience", m, f"audience:{live.version.id}:{m}", now, store_id, dict(payload))
        for m in sorted(found)
    ]


def _jobs(live: Live, now: datetime) -> list[tuple[str, int | None]]:
    """(sweep key, store) pairs the journey's trigger needs today; a campaign is swept once per store
    that runs it (a store switching it on later gets its own sweep)."""
    trigger, today = live.definition.trigger, now.date()
    if isinstance(trigger, d.AudienceTrigger):
        if trigger.start_at is not None and now < trigger.start_at:
            return []  # scheduled for later
        stores: list[int | None] = [None] if live.stores is None else list(sorted(live.stores))
        return [(f"audience:{live.version.id}:{s if s is not None else 'all'}", s) for s in stores]
    if isinstance(trigger, d.LapsedTrigger):
        return [(f"lapsed:{trigger.days}:{today.isoformat()}", None)]
    if isinstance(trigger, d.DayTrigger | d.ExpiryTrigger):
        return [(f"{trigger.type}:{trigger.days_before}:{today.isoformat()}", None)]
    if isinstance(trigger, d.SegmentTrigger):
        return [(f"segment:{live.journey.id}:{today.isoformat()}", None)]
    if isinstance(trigger, d.EventTrigger) and trigger.event == "replenishment_due":
        return [(f"replenishment:{today.isoformat()}", None)]
    return []


def sweep(session: Session, now: datetime, lives: list[Live] | None = None) -> int:
    """Run today's sweeps that no worker ran yet; the number of events written."""
    lives = live_journeys(session) if lives is None else lives
    today = now.date()
    written = 0
    seen: set[str] = set()
    # Once a day, consumed events older than a month go: a purchase's goal window is read from enrolments.
    if repo.take_sweep(session, f"prune:{today.isoformat()}", now) is not None:
        repo.prune_events(session, now - timedelta(days=PRUNE_AFTER_DAYS))
    for live in lives:
        if live.stores is not None and not live.stores:
            continue  # switched on nowhere
        trigger = live.definition.trigger
        for key, store_id in _jobs(live, now):
            if key in seen:
                continue
            seen.add(key)
            row = repo.take_sweep(session, key, now)
            if row is None:
                continue
            if isinstance(trigger, d.AudienceTrigger):
                events = _audience_events(session, live, store_id, now)
            elif isinstance(trigger, d.SegmentTrigger):
                first = repo.take_sweep(session, f"segment-baseline:{live.journey.id}", now) is not None
                events = _segment_events(session, live, now, baseline=first)
            elif isinstance(trigger, d.LapsedTrigger):
                events = _lapsed_events(session, trigger, today, now)
            elif isinstance(trigger, d.DayTrigger):
                events = _day_events(session, trigger, today, now)
            elif isinstance(trigger, d.ExpiryTrigger):
                events = _expiry_events(session, trigger, today, now)
            else:
                row.events = sweep_replenishment(session, now)
                written += row.events
                continue
            emit_many(session, events)
            row.events = len(events)
            written += len(events)
    session.flush()
    return written
