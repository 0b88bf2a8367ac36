"""Putting a message in the outbox: `enqueue`, which other packages call inside their own transaction.

    enqueue(session, member_id, "coupon_issued", {"coupon_name": "Welcome gift", "coupon_value": "20 off",
            "coupon_code": "C-1", "expires_on": "2027-01-31"}, key="coupon-issued:123", now=now)

writes one `queued` row (nothing is sent before the caller commits) and returns it; calling again with
the same key returns the same row. The text is rendered now from the template in the member's
language, and the row records the template version; secret variables (`code`) are stored encrypted and
shown as their {placeholder}. `channel` None picks one the member can be reached on (SMS when they
have a phone number, else the consultant's app).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.i18n import resolve_lang
from server.core.context import keys_of
from server.core.crypto import Keys
from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.tables import ConsultantAssignment, Member, OutboxMessage, Store
from server.messaging import consent, templates
from server.messaging.purposes import (
    CHANNELS,
    EXEMPT,
    LANGS,
    Purpose,
    channel_refusal,
    check_variables,
    purpose_of,
)

DEFAULT_LANG = "zh"


def member_lang(member: Member, default: str = DEFAULT_LANG) -> str:
    """The member's language (their locale, as recommendations decide it), else the chain's default."""
    if member.locale:
        lang = resolve_lang(None, member.locale)
        if lang in LANGS:
            return lang
    return default


def member_langs(session: Session, member_ids: list[int]) -> dict[int, str]:
    """Each member's language (see `member_lang`), in one query per slice of ids."""
    out: dict[int, str] = {}
    for start in range(0, len(member_ids), 900):
        part = sorted(set(member_ids[start : start + 900]))
        for member in session.scalars(select(Member).where(Member.id.in_(part))):
            out[member.id] = member_lang(member)
    return out


def common_values(member: Member, store: Store | None) -> dict[str, Any]:
    """member_name and store_name, which every template may use."""
    return {"member_name": member.name, "store_name": store.name if store is not None else "Aisle"}


def split_secrets(purpose: Purpose, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(plain variables, secret variables)."""
    secret = {k: str(v) for k, v in values.items() if purpose.allowed.get(k) == "secret"}
    return {k: v for k, v in values.items() if k not in secret}, secret


def seal_secrets(keys: Keys, secrets: dict[str, str]) -> bytes | None:
    """Secret variables encrypted for the row (None when there are none)."""
    return keys.encrypt(json.dumps(secrets)) if secrets else None


def open_secrets(keys: Keys, blob: bytes | None) -> dict[str, str]:
    """The secret variables of a row; a bare code (written by loyalty before templates) is {code}."""
    if blob is None:
        return {}
    text = keys.decrypt(blob)
    try:
        found = json.loads(text)
    except ValueError:
        return {"code": text}
    return found if isinstance(found, dict) else {"code": text}


def has_consultant(session: Session, member_id: int) -> bool:
    """Whether someone looks after the member (for the app and WeCom channels)."""
    stmt = select(ConsultantAssignment.id).where(
        ConsultantAssignment.member_id == member_id, ConsultantAssignment.ended_at.is_(None)
    )
    return session.scalars(stmt.limit(1)).first() is not None


def pick_channel(
    session: Session,
    member: Member,
    purpose: Purpose,
    ledger: consent.Ledger | None = None,
    looked_after: bool | None = None,
) -> str:
    """SMS when the member has a phone number it may carry this purpose on, else the consultant's app.

    `ledger` and `looked_after`: the consents and whether a consultant is assigned, read for a batch.
    """
    has_phone = member.phone_encrypted is not None
    if has_phone and consent.refusal(session, member, "sms", purpose.name, ledger) is None:
        return "sms"
    if looked_after is None:
        looked_after = has_consultant(session, member.id)
    if looked_after and consent.refusal(session, member, "push", purpose.name, ledger) is None:
        return "push"
    return "sms"  # the dispatcher records why it cannot go


def by_key(session: Session, key: str) -> OutboxMessage | None:
    """The message with this idempotency key, if any."""
    return session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).first()


def enqueue(
    session: Session,
    member_id: int,
    purpose: str,
    variables: dict[str, Any],
    *,
    key: str,
    channel: str | None = None,
    store_id: int | None = None,
    now: datetime,
) -> OutboxMessage:
    """Queue one message to a member (see the module docstring); same key -> same row."""
    if not key or len(key) > 160:
        raise InvalidInput("key: an idempotency key of 1 to 160 characters is required")
    found = by_key(session, key)
    if found is not None:
        if found.member_id != member_id or purpose_of(found.kind).name != purpose_of(purpose).name:
            raise Conflict(f"message key {key!r} was used for another member or purpose")
        return found
    spec = purpose_of(purpose)
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput(f"channel: use one of {', '.join(CHANNELS)}, got {channel!r}")
    never = channel_refusal(spec, channel) if channel is not None else None
    if never is not None:  # asked for explicitly: say so now rather than suppress it later
        raise InvalidInput(f"channel: {never}")
    store_id = store_id if store_id is not None else member.home_store_id
    store = session.get(Store, store_id) if store_id is not None else None
    plain, secrets = split_secrets(spec, check_variables(spec, variables))
    values = common_values(member, store) | plain
    lang = member_lang(member)
    template = templates.current(session, spec.name, lang)
    body = templates.render(spec, template.body, values, lang, store.currency if store else "")
    row = OutboxMessage(
        member_id=member.id,
        channel=channel or pick_channel(session, member, spec),
        kind=spec.name,
        body=body,
        variables=values,
        secret_encrypted=seal_secrets(keys_of(session), secrets) if secrets else None,
        lang=lang,
        template_version=template.version,
        store_id=store_id,
        status="queued",
        dedup_key=key,
        due_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raced = by_key(session, key)
        if raced is None:
            raise
        return raced
    return row


def enqueue_to_phone(
    session: Session,
    keys: Keys,
    phone_e164: str,
    purpose: str,
    variables: dict[str, Any],
    *,
    key: str,
    store_id: int,
    lang: str,
    expires_at: datetime,
    now: datetime,
) -> OutboxMessage:
    """Queue a one-time code by SMS to a phone number that may belong to no member (the member page).

    Only exempt purposes (codes asked for right now) may go this way; the number is stored encrypted.
    """
    spec = purpose_of(purpose)
    if spec.name not in EXEMPT:
        raise InvalidInput(f"purpose: only a one-time code may go to a phone number, not {spec.name}")
    found = by_key(session, key)
    if found is not None:
        return found
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"store {store_id} does not exist")
    plain, secrets = split_secrets(spec, check_variables(spec, variables))
    values = {"store_name": store.name} | plain
    lang = templates.check_lang(lang)
    template = templates.current(session, spec.name, lang)
    row = OutboxMessage(
        member_id=None,
        to_encrypted=keys.encrypt(phone_e164),
        channel="sms",
        kind=spec.name,
        body=templates.render(spec, template.body, values, lang, store.currency),
        variables=values,
        secret_encrypted=seal_secrets(keys, secrets),
        lang=lang,
        template_version=template.version,
        store_id=store.id,
        status="queued",
        dedup_key=key,
        expires_at=expires_at,
        due_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
