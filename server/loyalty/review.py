"""The nightly loyalty work, set-based: tier review, points expiry, reminders of points about to expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server.core.words import counted
from server.db.base import money
from server.db.queries import chunks
from server.db.session import serialise_member
from server.db.tables import Member, MemberTier, OutboxMessage, PointsEntry, TierChange
from server.events.service import NewEvent, raise_events
from server.loyalty import repository as repo
from server.loyalty.config import load_config
from server.loyalty.tiers import Growth, decide

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TierReview:
    """What the nightly tier review did."""

    reviewed: int
    upgraded: int
    downgraded: int


def review_tiers(session: Session, now: datetime) -> TierReview:
    """Re-judge every member with a tier or with activity in the window; downgrades respect the grace days."""
    ladder = load_config(session).ladder
    today = now.date()
    growths = repo.growth_of_all(session, now, ladder.window_days)
    states = {
        m: (tier, since, spend, visits)
        for m, tier, since, spend, visits in session.execute(
            select(
                MemberTier.member_id, MemberTier.tier, MemberTier.since, MemberTier.spend, MemberTier.visits
            )
        )
    }
    inserts, updates, changes, events = [], [], [], []
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
    if changes:
        session.execute(insert(TierChange), changes)
    raise_events(session, events)
    session.expire_all()  # the bulk writes bypassed any MemberTier already loaded in this session
    return TierReview(len(states.keys() | growths.keys()), up, down)


def expire_points(session: Session, now: datetime) -> int:
    """Expire the remainder of every lot whose expiry day has come (FIFO by construction); points expired."""
    today = now.date()
    due = repo.due_lots(session, today)
    members = sorted({m for _, m, _ in due})
    if members:
        serialise_member(session)  # SQLite: the write lock before the re-read (it ignores FOR UPDATE)
    for part in chunks(members):
        # Lock the members so a redemption at midnight cannot spend a lot while it expires.
        session.execute(select(Member.id).where(Member.id.in_(part)).with_for_update())
    due = repo.due_lots(session, today) if members else []
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


def remind_expiring_points(session: Session, now: datetime, within_days: int = 30) -> int:
    """Tell consultants (and consenting members) about points expiring soon; the number of new reminders."""
    rows = repo.expiring_by_member(session, now.date(), within_days)
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
    consenting: set[int] = set()
    for part in chunks(sorted(m for m, _, _ in rows)):
        stmt = select(Member.id).where(Member.id.in_(part), Member.marketing_consent.is_(True))
        consenting.update(session.scalars(stmt))
    keys = {f"points-expiring:{m}:{first.isoformat()}" for m, first, _ in rows if m in consenting}
    sent: set[str] = set()
    for key_part in chunks(sorted(keys)):
        sent.update(
            session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(key_part)))
        )
    messages = [
        {
            "member_id": m,
            "channel": "sms",
            "kind": "points_expiring",
            "body": f"{points} of your points expire on {first.isoformat()}. Use them in store before then.",
            "dedup_key": f"points-expiring:{m}:{first.isoformat()}",
            "created_at": now,
        }
        for m, first, points in rows
        if f"points-expiring:{m}:{first.isoformat()}" in keys - sent
    ]
    if messages:
        session.execute(insert(OutboxMessage), messages)
    return raised
