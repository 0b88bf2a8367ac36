"""The nightly loyalty work, set-based: tier review, points expiry, reminders of points about to expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server.business_events.events import NewEvent as AutomationEvent
from server.business_events.events import emit_many
from server.core.words import counted
from server.db.base import money
from server.db.queries import IdRange, chunks
from server.db.session import serialise_member
from server.db.tables import Member, MemberTier, PointsEntry, TierChange
from server.events.service import NewEvent, raise_events
from server.loyalty import repository as repo
from server.loyalty.config import load_config
from server.loyalty.tiers import Growth, decide
from server.messaging.bulk import Notice, enqueue_many
from server.messaging.outbox import member_langs

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TierReview:
    """What the nightly tier review did."""

    reviewed: int
    upgraded: int
    downgraded: int
    notices: int = 0  # tier-change messages queued for members


def review_tiers(session: Session, now: datetime, members: IdRange | None = None) -> TierReview:
    """Re-judge every member (in `members`) with a tier or with activity in the window; downgrades respect
    the grace days."""
    ladder = load_config(session).ladder
    today = now.date()
    growths = repo.growth_of_all(session, now, ladder.window_days, members)
    held = select(
        MemberTier.member_id, MemberTier.tier, MemberTier.since, MemberTier.spend, MemberTier.visits
    )
    if members is not None:
        held = held.where(members.holds(MemberTier.member_id))
    states = {m: (tier, since, spend, visits) for m, tier, since, spend, visits in session.execute(held)}
    inserts, updates, events = [], [], []
    changes: list[dict[str, Any]] = []
    up = down = 0
    for member_id in states.keys() | growths.keys():
        spend, visits = growths.get(member_id, (Decimal("0"), 0))
        g = Growth(money(max(spend, Decimal("0"))), visits, today)
        tier, since, old_spend, old_visits = states.get(member_id, (ladder.lowest, EPOCH, None, None))
        d = decide(ladder, tier, since, g, "review", now)
        row = {
            "member_id": member_id,
            "tier": d.new,
            "reviewed_at": now,
            "spend": g.spend,
            "visits": g.visits,
        }
        if d.changed:
            row["since"] = now
            up, down = up + (d.direction == "up"), down + (d.direction == "down")
            changes.append(
                {
                    "member_id": member_id,
                    "from_tier": d.current,
                    "to_tier": d.new,
                    "trigger": "review",
                    "reason": d.reason,
                    "occurred_at": now,
                }
            )
            payload = {"from": d.current, "to": d.new, "trigger": "review"}
            events.append(NewEvent(member_id, "tier_change", d.reason, now, None, payload))
        if member_id not in states:
            inserts.append({"since": now, **row})
        elif d.changed or (old_spend, old_visits) != (g.spend, g.visits):
            updates.append(row)
    session.flush()
    if inserts:
        session.execute(insert(MemberTier), inserts)
    if updates:
        session.execute(update(MemberTier), updates)
    notices, moved = [], []
    if changes:
        stmt = insert(TierChange).returning(TierChange.id, sort_by_parameter_order=True)
        langs = member_langs(session, [c["member_id"] for c in changes])
        for change, change_id in zip(changes, session.scalars(stmt, changes), strict=True):
            lang, old, new = langs.get(change["member_id"], "zh"), change["from_tier"], change["to_tier"]
            names = {"old_tier": ladder.label(old, lang), "new_tier": ladder.label(new, lang)}
            notices.append(Notice(change["member_id"], "tier_change", names, f"tier-change:{change_id}"))
            way = "up" if ladder.index(new) > ladder.index(old) else "down"
            payload = {"old": old, "new": new, "direction": way}
            moved.append(
                AutomationEvent(
                    "tier_changed", change["member_id"], f"tier_changed:{change_id}", now, None, payload
                )
            )
    emit_many(session, moved)  # journeys that start on a tier change
    raise_events(session, events)
    notified = enqueue_many(session, notices, now=now)
    session.expire_all()  # the bulk writes bypassed any MemberTier already loaded in this session
    return TierReview(len(states.keys() | growths.keys()), up, down, notified)


def expire_points(session: Session, now: datetime, members: IdRange | None = None) -> int:
    """Expire the remainder of every lot (of `members`) whose expiry day has come; points expired."""
    today = now.date()
    due = repo.due_lots(session, today, members)
    locked = sorted({m for _, m, _ in due})
    if locked:
        serialise_member(session)  # SQLite: the write lock before the re-read (it ignores FOR UPDATE)
    for part in chunks(locked):
        # Lock the members so a redemption at midnight cannot spend a lot while it expires.
        session.execute(select(Member.id).where(Member.id.in_(part)).with_for_update())
    due = repo.due_lots(session, today, members) if locked else []
    entries = [
        PointsEntry(
            member_id=member_id,
            kind="expire",
            points=-remaining,
            idempotency_key=f"expire:lot:{lot_id}",
            occurred_at=now,
            detail={"lot": lot_id},
            created_at=now,
        )
        for lot_id, member_id, remaining in due
    ]
    session.add_all(entries)
    session.flush()
    for entry, (lot_id, _, remaining) in zip(entries, due, strict=True):
        repo.add_allocations(session, entry.id, [(lot_id, remaining)])
    return sum(remaining for _, _, remaining in due)


def remind_expiring_points(
    session: Session,
    now: datetime,
    within_days: int = 30,
    queued: dict[str, int] | None = None,
    members: IdRange | None = None,
) -> int:
    """Tell consultants and members (of `members`) about points expiring soon; new consultant reminders.

    `queued` (the nightly report's tally) gets the number of member messages queued under "points_expiry".
    """
    rows = repo.expiring_by_member(session, now.date(), within_days, members)
    events = [
        NewEvent(
            member_id,
            "points_expiring",
            f"{counted(points, 'point expires', 'points expire')} from {first.isoformat()}",
            now,
            f"points-expiring:{member_id}:{first.isoformat()}",
            {"points": points, "first_expiry": first.isoformat()},
        )
        for member_id, first, points in rows
    ]
    raised = raise_events(session, events)
    # The member's message in their language; consent, caps and quiet hours are the dispatcher's to judge.
    notices = [
        Notice(
            member_id,
            "points_expiry",
            {"points": points, "expires_on": first.isoformat()},
            f"points-expiring:{member_id}:{first.isoformat()}",
        )
        for member_id, first, points in rows
    ]
    added = enqueue_many(session, notices, now=now)
    if queued is not None:
        queued["points_expiry"] = queued.get("points_expiry", 0) + added
    return raised
