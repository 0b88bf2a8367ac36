"""The consent ledger: who may be sent what on which channel, and opting out.

Current consent = the latest entry for (member, channel, class). The rule:
- marketing purposes need marketing consent on the channel (no entry: the member's `marketing_consent`
  from enrolment) and no full opt-out of it;
- service purposes (tier change, coupon issued) need no marketing consent but respect a full opt-out of
  the channel (an entry of class `service` with granted false), as PIPL and carriers expect;
- a one-time code the member asked for at the till is exempt: it answers their own request right now.
An SMS reply (TD/退订/STOP/T/unsubscribe) and the unsubscribe link opt out of marketing on the channel.
Opting out suppresses the member's queued messages it covers in the same transaction; the dispatcher
checks consent again under its claim, so nothing is claimed after an opt-out commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.crypto import Keys
from server.core.errors import InvalidInput
from server.db.session import serialise_member
from server.db.tables import Member, MessageConsent, OutboxMessage
from server.messaging.purposes import CHANNELS, EXEMPT, LEGACY_KINDS, PURPOSES, channel_refusal, purpose_of

SOURCES = ("till", "app", "member_page", "sms_reply", "unsubscribe_link", "import")
Class = Literal["marketing", "service"]
OPT_OUT_WORDS = frozenset({"TD", "退订", "STOP", "T", "UNSUBSCRIBE", "N", "取消"})


def latest(session: Session, member_id: int, channel: str, purpose_class: str) -> MessageConsent | None:
    """The entry in force for the member, channel and class, if any."""
    stmt = (
        select(MessageConsent)
        .where(
            MessageConsent.member_id == member_id,
            MessageConsent.channel == channel,
            MessageConsent.purpose_class == purpose_class,
        )
        .order_by(MessageConsent.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def consents(session: Session, member: Member) -> dict[str, dict[str, bool]]:
    """Channel -> {marketing, service} -> whether it is allowed now."""
    out: dict[str, dict[str, bool]] = {}
    for channel in CHANNELS:
        service = latest(session, member.id, channel, "service")
        marketing = latest(session, member.id, channel, "marketing")
        out[channel] = {
            "service": service is None or service.granted,
            "marketing": member.marketing_consent if marketing is None else marketing.granted,
        }
    return out


Ledger = dict[tuple[int, str, str], MessageConsent]


def ledgers(session: Session, member_ids: list[int]) -> Ledger:
    """The entries in force for several members at once: (member, channel, class) -> entry."""
    stmt = (
        select(MessageConsent)
        .where(MessageConsent.member_id.in_(sorted(set(member_ids))))
        .order_by(MessageConsent.id)
    )
    return {(e.member_id, e.channel, e.purpose_class): e for e in session.scalars(stmt)}


def refusal(
    session: Session, member: Member, channel: str, kind: str, ledger: Ledger | None = None
) -> str | None:
    """Why the member may not be sent a message of `kind` on `channel` now; None when they may.

    `ledger`: the entries in force, read in the same transaction (the dispatcher reads a batch's at once).
    """
    purpose = purpose_of(kind)
    if purpose.name in EXEMPT:
        return None

    def latest_of(purpose_class: str) -> MessageConsent | None:
        if ledger is not None:
            return ledger.get((member.id, channel, purpose_class))
        return latest(session, member.id, channel, purpose_class)

    service = latest_of("service")
    if service is not None and not service.granted:
        return f"the member opted out of {channel} entirely ({service.source})"
    if purpose.purpose_class == "service":
        return None
    never = channel_refusal(purpose, channel)
    if never is not None:
        return never
    marketing = latest_of("marketing")
    if marketing is None:
        return None if member.marketing_consent else "the member has not agreed to marketing messages"
    return (
        None if marketing.granted else f"the member opted out of marketing on {channel} ({marketing.source})"
    )


def _kinds(purpose_class: Class) -> list[str]:
    names = [p.name for p in PURPOSES.values() if p.name not in EXEMPT]
    if purpose_class == "marketing":
        names = [p.name for p in PURPOSES.values() if p.purpose_class == "marketing"]
    return names + [k for k, p in LEGACY_KINDS.items() if p in names]


def record(
    session: Session,
    member_id: int,
    channel: str,
    purpose_class: Class,
    granted: bool,
    source: str,
    now: datetime,
    staff_id: int | None = None,
    note: str = "",
) -> MessageConsent:
    """Add a ledger entry; an opt-out also suppresses the queued messages it covers."""
    if channel not in CHANNELS:
        raise InvalidInput(f"channel: use one of {', '.join(CHANNELS)}, got {channel!r}")
    if source not in SOURCES:
        raise InvalidInput(f"source: use one of {', '.join(SOURCES)}, got {source!r}")
    serialise_member(session, member_id)  # wait for a dispatcher claiming this member's messages
    entry = MessageConsent(
        member_id=member_id,
        channel=channel,
        purpose_class=purpose_class,
        granted=granted,
        source=source,
        staff_id=staff_id,
        note=note[:500],
        occurred_at=now,
    )
    session.add(entry)
    session.flush()
    if not granted:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.member_id == member_id,
                OutboxMessage.channel == channel,
                OutboxMessage.status == "queued",
                OutboxMessage.kind.in_(_kinds(purpose_class)),
            )
            .values(status="suppressed", reason=f"opted out ({source})", finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return entry


def is_opt_out(text: str) -> bool:
    """Whether an inbound SMS asks to stop (TD, 退订, STOP, T, unsubscribe ...)."""
    return text.strip().strip(".!。！").upper() in OPT_OUT_WORDS


def unsubscribe_token(keys: Keys, member_id: int, channel: str) -> str:
    """A signed token naming the member and channel (never the phone number) for the unsubscribe link."""
    payload = base64.urlsafe_b64encode(f"{member_id}:{channel}".encode()).decode().rstrip("=")
    return f"{payload}.{_mac(keys, payload)}"


def read_token(keys: Keys, token: str) -> tuple[int, str]:
    """The (member id, channel) a token names; 422 for a token that was not signed here."""
    payload, _, mac = token.partition(".")
    if not payload or not mac.isascii() or not hmac.compare_digest(mac, _mac(keys, payload)):
        raise InvalidInput("this unsubscribe link is not valid")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    member, _, channel = raw.partition(":")  # signed by us: well formed
    return int(member), channel


def _mac(keys: Keys, payload: str) -> str:
    return hmac.new(keys.lookup, f"unsubscribe:{payload}".encode(), hashlib.sha256).hexdigest()[:32]
