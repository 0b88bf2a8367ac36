"""Provider webhooks: delivery receipts applied idempotently, and replies that opt a member out.

A receipt moves a message forward only (sending/sent/unknown -> delivered or failed); the same receipt
twice, or one for a message already final, changes nothing. A reply is matched to the member by the
keyed hash of the sender's number (the number itself is never stored or logged); an opt-out word records
a marketing opt-out for SMS, which suppresses the member's queued marketing messages at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.crypto import Keys
from server.core.errors import InvalidInput
from server.core.phone import normalise_phone
from server.db.tables import Member, OutboxMessage
from server.messaging import consent
from server.messaging import repository as repo
from server.messaging.adapters.base import Inbound, Receipt

OPEN = ("sending", "sent", "unknown")


@dataclass(frozen=True)
class Applied:
    """What a webhook call changed."""

    received: int
    changed: int


def apply_receipts(session: Session, provider: str, receipts: list[Receipt], now: datetime) -> Applied:
    """Record delivery reports; replays and reports for final messages change nothing."""
    changed = 0
    for receipt in receipts:
        row = repo.by_receipt(session, receipt.key, provider, receipt.provider_id)
        if row is None or row.status not in OPEN:
            continue
        values: dict[str, object] = {"status": receipt.status, "finished_at": now}
        if receipt.status == "failed":
            values["reason"] = f"the provider reports it undelivered {receipt.detail}".strip()
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status.in_(OPEN))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    return Applied(len(receipts), changed)


def apply_replies(
    session: Session, keys: Keys, region: str, replies: list[Inbound], now: datetime
) -> Applied:
    """Opt members out who replied TD/退订/STOP ...; note any reply as the member responding."""
    changed = 0
    for reply in replies:
        try:
            phone_hash = keys.phone_hash(normalise_phone(reply.phone, region))
        except InvalidInput:
            continue
        member = session.scalars(select(Member).where(Member.phone_hash == phone_hash)).first()
        if member is None:
            continue
        last = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.member_id == member.id, OutboxMessage.channel == "sms")
            .where(OutboxMessage.sent_at.is_not(None), OutboxMessage.responded_at.is_(None))
            .order_by(OutboxMessage.sent_at.desc())
            .limit(1)
        ).first()
        if last is not None:
            last.responded_at = now
        if consent.is_opt_out(reply.text):
            consent.record(
                session, member.id, "sms", "marketing", False, "sms_reply", now, note=reply.text[:20]
            )
            changed += 1
    return Applied(len(replies), changed)
