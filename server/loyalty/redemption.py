"""Redeeming points at the till: partial redemption, FIFO across lots, a one-time code for large amounts.

A redemption that takes the member's redemptions of the last 24 hours to the configured threshold or
past it first sends the member a six-digit code through the message outbox (so five redemptions just
under the threshold cannot dodge it); the clerk repeats the call with the code the member reads out.
The code is bound to the redemption (idempotency key and points), expires after a few minutes and
allows a few wrong attempts. A member has one live code at a time: a new one is sent at most once a
minute and at most `CODES_PER_DAY` times a day. A wrong code is a result, not an exception, so the
attempt count is committed with the request.

Every redemption of a member runs serialised with the others (`repo.lock_member`), so parallel requests
can never spend the same points twice, and the same idempotency key always gets the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from server.core.crypto import Keys
from server.core.errors import Conflict, InvalidInput, TooManyRequests
from server.core.words import counted
from server.db.tables import OutboxMessage, PointsEntry
from server.loyalty import repository as repo
from server.loyalty.config import load_config
from server.loyalty.points import RedemptionRules, allocate, available, points_value

RESEND_SECONDS = 60
CODES_PER_DAY = 10
DAY = timedelta(days=1)


@dataclass(frozen=True)
class RedemptionResult:
    """What happened: points redeemed, a code sent (repeat with it), or a wrong code (attempts left)."""

    status: Literal["redeemed", "code_sent", "wrong_code"]
    points: int
    value: Decimal
    available: int
    entry_id: int | None = None
    message_id: int | None = None
    attempts_left: int | None = None
    replayed: bool = False


def code_hash(keys: Keys, key: str, points: int, code: str) -> str:
    """The keyed hash stored for a one-time code; binding key and points stops reuse for another amount."""
    message = f"redemption-code:{key}:{points}:{code}".encode()
    return hmac.new(keys.lookup, message, hashlib.sha256).hexdigest()


def redeem_points(
    session: Session,
    keys: Keys,
    member_id: int,
    points: int,
    idempotency_key: str,
    now: datetime,
    code: str | None = None,
    store_id: int | None = None,
    staff_id: int | None = None,
) -> RedemptionResult:
    """Redeem `points` (any part of the balance) oldest lots first; large amounts need the member's code."""
    if not idempotency_key or len(idempotency_key) > 100:
        raise InvalidInput("an idempotency key of 1 to 100 characters is required")
    member = repo.lock_member(session, member_id)
    rules = load_config(session).redemption
    key = f"redeem:{idempotency_key}"
    lots = repo.lots(session, member.id)
    spendable = available(lots, now.date(), sum(o for _, o in repo.debts(session, member.id)))
    found = repo.entry_by_key(session, key)
    if found is not None:
        if found.member_id != member.id or found.kind != "redeem" or -found.points != points:
            raise Conflict(f"idempotency key {idempotency_key!r} was used for a different redemption")
        return RedemptionResult(
            "redeemed", points, points_value(rules, points), spendable, found.id, replayed=True
        )
    if points < rules.min_points:
        least = counted(rules.min_points, "point")
        raise InvalidInput(f"at least {least} must be redeemed at a time, got {points}")
    if points > spendable:
        have = counted(spendable, "point is", "points are")
        raise InvalidInput(f"only {have} available, {points} requested")
    if points + repo.redeemed_since(session, member.id, now - DAY) >= rules.code_threshold:
        message = _live_code(session, member.id, now)
        if code is None:
            return _send_code(session, keys, rules, member.id, key, points, spendable, now, message)
        if message is None or message.reference != key:
            raise InvalidInput("no valid code for this redemption (expired or used): request a new one")
        if message.attempts >= rules.code_attempts:
            raise InvalidInput("too many wrong codes for this redemption: request a new one")
        if not hmac.compare_digest(message.secret_hash or "", code_hash(keys, key, points, code.strip())):
            message.attempts += 1
            session.flush()
            left = rules.code_attempts - message.attempts
            return RedemptionResult(
                "wrong_code",
                points,
                points_value(rules, points),
                spendable,
                message_id=message.id,
                attempts_left=left,
            )
        message.consumed_at = now
    taken = allocate(lots, points, now.date())
    entry = PointsEntry(
        member_id=member.id,
        kind="redeem",
        points=-points,
        idempotency_key=key,
        occurred_at=now,
        detail={"value": str(points_value(rules, points))},
        store_id=store_id,
        staff_id=staff_id,
        created_at=now,
    )
    repo.add_entry(session, entry, taken)
    return RedemptionResult("redeemed", points, points_value(rules, points), spendable - points, entry.id)


def _live_code(session: Session, member_id: int, now: datetime) -> OutboxMessage | None:
    """The member's newest unused redemption code still in its validity, whatever redemption it is for."""
    message = repo.newest_unused_code(session, member_id)
    if message is None or message.expires_at is None or message.expires_at <= now:
        return None
    return message


def _send_code(
    session: Session,
    keys: Keys,
    rules: RedemptionRules,
    member_id: int,
    key: str,
    points: int,
    spendable: int,
    now: datetime,
    pending: OutboxMessage | None,
) -> RedemptionResult:
    value = points_value(rules, points)
    age = (now - pending.created_at).total_seconds() if pending is not None else None
    if pending is not None and age is not None and age < RESEND_SECONDS:
        if pending.reference == key:
            # A double tap on "send code" must not flood the member: the code just sent stands.
            return RedemptionResult("code_sent", points, value, spendable, message_id=pending.id)
        wait = max(1, int(RESEND_SECONDS - age))
        raise TooManyRequests(
            f"a code was sent to this member {int(age)} s ago for another redemption: finish that one "
            f"or ask again in {wait} s",
            wait,
        )
    if repo.codes_sent_since(session, member_id, now - DAY) >= CODES_PER_DAY:
        raise TooManyRequests(
            f"{CODES_PER_DAY} codes were sent to this member in the last 24 hours: no more today", 3600
        )
    if pending is not None:
        pending.expires_at = now  # a new code replaces the old one: one live code per member
    code = f"{secrets.randbelow(10**6):06d}"
    message = OutboxMessage(
        member_id=member_id,
        channel="sms",
        kind="redemption_code",
        body=(
            f"Your code to redeem {counted(points, 'point')} ({value}) is {{code}}. "
            f"It expires in {counted(rules.code_minutes, 'minute')}. Staff will never ask for it by phone."
        ),
        # The outbox renders the member's own-language template from these (server/messaging).
        variables={"points": points, "value": str(value), "minutes": rules.code_minutes},
        secret_encrypted=keys.encrypt(code),
        secret_hash=code_hash(keys, key, points, code),
        reference=key,
        expires_at=now + timedelta(minutes=rules.code_minutes),
        created_at=now,
    )
    session.add(message)
    session.flush()
    return RedemptionResult("code_sent", points, value, spendable, message_id=message.id)
