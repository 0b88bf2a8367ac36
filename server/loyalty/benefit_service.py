"""Tier benefits for members: what they may use, recording a use, and reminders before uses lapse."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.queries import IdRange
from server.db.tables import BenefitUsage, Member, MemberTier, Transaction
from server.events.service import NewEvent, raise_events
from server.loyalty import repository as repo
from server.loyalty.benefits import BenefitStatus, reminders, status, statuses
from server.loyalty.config import benefit_rows, definition, load_config
from server.messaging.bulk import Notice, enqueue_many

LOOKBACK_DAYS = 400  # longer than any benefit period


def _tier(session: Session, member_id: int) -> str:
    state = session.get(MemberTier, member_id)
    return state.tier if state else load_config(session).ladder.lowest


def member_benefits(session: Session, member_id: int, now: datetime) -> list[BenefitStatus]:
    """Every active benefit with whether the member may use it today and how many uses remain."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id} not found")
    defs = [definition(r) for r in benefit_rows(session)]
    used = repo.benefit_uses(session, [member_id], now - timedelta(days=LOOKBACK_DAYS)).get(member_id, [])
    return statuses(defs, _tier(session, member_id), now.date(), used, member.birthday, member.joined_on)


def use_benefit(
    session: Session,
    member_id: int,
    code: str,
    now: datetime,
    idempotency_key: str | None = None,
    staff_id: int | None = None,
    store_id: int | None = None,
    transaction_id: int | None = None,
) -> BenefitUsage:
    """Record one use of a benefit; 422 when the member's tier or remaining quota does not allow it, or
    when `transaction_id` names no transaction of the member."""
    if transaction_id is not None:
        txn = session.get(Transaction, transaction_id)
        if txn is None or txn.member_id != member_id:
            raise InvalidInput(f"transaction_id: {transaction_id} is not a transaction of member {member_id}")
    member = repo.lock_member(session, member_id)
    row = next((r for r in benefit_rows(session) if r.code == code), None)
    if idempotency_key:
        found = repo.benefit_use_by_key(session, idempotency_key)
        if found is not None:
            if found.member_id != member_id or row is None or found.benefit_id != row.id:
                raise Conflict(f"idempotency key {idempotency_key!r} was used for another benefit use")
            return found
    if row is None:
        raise NotFound(f"no active benefit {code!r}")
    used = repo.benefit_uses(session, [member_id], now - timedelta(days=LOOKBACK_DAYS)).get(member_id, [])
    state = status(
        definition(row),
        _tier(session, member_id),
        now.date(),
        [d for c, d in used if c == code],
        member.birthday,
        member.joined_on,
    )
    if not state.available:
        raise InvalidInput(f"{row.name} is not available: {state.reason}")
    usage = BenefitUsage(
        member_id=member_id,
        benefit_id=row.id,
        used_at=now,
        staff_id=staff_id,
        store_id=store_id,
        transaction_id=transaction_id,
        idempotency_key=idempotency_key,
    )
    session.add(usage)
    session.flush()
    return usage


def remind_benefits(
    session: Session,
    now: datetime,
    within_days: int = 14,
    queued: dict[str, int] | None = None,
    members: IdRange | None = None,
) -> int:
    """Raise a consultant event for each benefit of `members` (all when None) with uses left that lapse within
    `within_days`, and queue the member's message for the same fact (under the event's key); the number of
    new events.

    `queued` (the nightly report's tally) gets the number of member messages under "benefit_expiry".
    """
    rows = [r for r in benefit_rows(session) if r.quota is not None]
    defs, names = [definition(r) for r in rows], {r.code: r.name for r in rows}
    tiers = sorted({t for d in defs for t in d.tiers})
    if not tiers:
        return 0
    holders = repo.members_in_tiers(session, tiers, members)
    used = repo.benefit_uses(session, members, now - timedelta(days=LOOKBACK_DAYS))
    events, notices = [], []
    for member_id, birthday, joined_on, tier in holders:
        states = statuses(defs, tier, now.date(), used.get(member_id, []), birthday, joined_on)
        for r in reminders(states, now.date(), within_days):
            key = f"benefit-expiring:{member_id}:{r.code}:{r.expires_on.isoformat()}"
            payload = {"benefit": r.code, "remaining": r.remaining, "expires_on": r.expires_on.isoformat()}
            events.append(NewEvent(member_id, "benefit_expiring", r.text, now, key, payload))
            variables = {"benefit_name": names[r.code], "expires_on": r.expires_on.isoformat()}
            notices.append(Notice(member_id, "benefit_expiry", variables, key))
    raised = raise_events(session, events)
    added = enqueue_many(session, notices, now=now)
    if queued is not None:
        queued["benefit_expiry"] = queued.get("benefit_expiry", 0) + added
    return raised
