"""What the messaging endpoints do: templates and previews, the outbox's list, consents, one-off sends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import MEMBER_WRITERS, describe, holds, visible_store_ids
from server.core.errors import Forbidden, InvalidInput
from server.core.pagination import PageParams
from server.db.tables import Member, MessageTemplate, OutboxMessage, Staff, Store
from server.members.access import member_for
from server.messaging import consent, templates
from server.messaging.outbox import common_values, enqueue, member_lang
from server.messaging.purposes import LANGS, PURPOSES, check_variables, purpose_of
from server.messaging.schemas import (
    ConsentCreate,
    ConsentRead,
    MessageRead,
    PreviewCreate,
    PreviewRead,
    SendCreate,
    TemplateRead,
)

SENDERS = frozenset({Role.STORE_MANAGER, Role.ADMIN})
EXAMPLES: dict[str, Any] = {"str": "…", "int": 100, "date": date(2027, 1, 31).isoformat(), "money": "20.00"}
STATUSES = ("queued", "sending", "sent", "delivered", "failed", "unknown", "suppressed")


def template_read(row: MessageTemplate) -> TemplateRead:
    """A template version as the API shows it."""
    purpose = purpose_of(row.purpose)
    return TemplateRead(
        purpose=row.purpose,
        purpose_class=purpose.purpose_class,
        lang=row.lang,
        version=row.version,
        body=row.body,
        variables=dict(purpose.allowed),
        created_at=row.created_at,
        created_by_id=row.created_by_id,
    )


def all_templates(session: Session) -> list[TemplateRead]:
    """The template in force for every purpose and language."""
    return [template_read(templates.current(session, p, lang)) for p in PURPOSES for lang in LANGS]


def preview(session: Session, caller: Staff, purpose: str, lang: str, ask: PreviewCreate) -> PreviewRead:
    """The text `ask.member_id` would read (the caller must be allowed to open that member)."""
    spec = purpose_of(purpose)
    templates.check_lang(lang)
    member = member_for(session, caller, ask.member_id)
    store = session.get(Store, member.home_store_id) if member.home_store_id is not None else None
    given = check_variables(spec, ask.variables)
    if ask.body is not None:
        templates.validate(spec, ask.body)
        body, version = ask.body, None
    else:
        saved = templates.current(session, spec.name, lang)
        body, version = saved.body, saved.version
    values = {n: EXAMPLES[t] for n, t in spec.variables.items() if t != "secret"}
    values |= common_values(member, store) | {k: v for k, v in given.items() if spec.allowed[k] != "secret"}
    secrets = {n: templates.MASK for n, t in spec.allowed.items() if t == "secret"}
    text = templates.render(spec, body, values, lang, store.currency if store else "", secrets)
    return PreviewRead(purpose=spec.name, lang=lang, version=version, text=text)


def masked(body: str, kind: str) -> str:
    """The stored text with every secret placeholder shown as a mask."""
    spec = purpose_of(kind)
    for name, kind_ in spec.allowed.items():
        if kind_ == "secret":
            body = body.replace("{" + name + "}", templates.MASK)
    return body


def message_read(row: OutboxMessage) -> MessageRead:
    """An outbox row as staff may see it."""
    return MessageRead(
        id=row.id,
        member_id=row.member_id,
        store_id=row.store_id,
        channel=row.channel,
        purpose=purpose_of(row.kind).name,
        status=row.status,
        body=masked(row.body, row.kind),
        lang=row.lang,
        template_version=row.template_version,
        provider=row.provider,
        tries=row.tries,
        reason=row.reason,
        created_at=row.created_at,
        due_at=row.due_at,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
    )


def messages(
    session: Session, caller: Staff, page: PageParams, member_id: int | None, status: str | None
) -> tuple[list[MessageRead], int]:
    """A page of the outbox, newest first: HQ sees all, a store manager their stores' members'."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: use one of {', '.join(STATUSES)}, got {status!r}")
    stmt = select(OutboxMessage)
    stores = visible_store_ids(caller)
    if stores is not None:
        stmt = stmt.join(Member, Member.id == OutboxMessage.member_id).where(
            or_(Member.home_store_id.in_(sorted(stores)), OutboxMessage.store_id.in_(sorted(stores)))
        )
    if member_id is not None:
        member_for(session, caller, member_id)
        stmt = stmt.where(OutboxMessage.member_id == member_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(page.limit).offset(page.offset))
    return [message_read(r) for r in rows], total


def consent_of(session: Session, caller: Staff, member_id: int) -> ConsentRead:
    """The member's consents now."""
    member = member_for(session, caller, member_id)
    return ConsentRead(member_id=member.id, channels=consent.consents(session, member))


def set_consent(
    session: Session, caller: Staff, member_id: int, ask: ConsentCreate, now: datetime
) -> ConsentRead:
    """Record what the member told staff (their home store's staff, or an admin)."""
    member = member_for(session, caller, member_id)
    if not holds(caller, MEMBER_WRITERS, member.home_store_id):
        raise Forbidden(
            f"changing member {member.id}'s consent needs {describe(MEMBER_WRITERS, member.home_store_id)}"
        )
    consent.record(
        session, member.id, ask.channel, ask.purpose_class, ask.granted, ask.source, now, caller.id, ask.note
    )
    return ConsentRead(member_id=member.id, channels=consent.consents(session, member))


def send_one(session: Session, caller: Staff, member_id: int, ask: SendCreate, now: datetime) -> MessageRead:
    """Queue a campaign message to one member (their home store's manager, or an admin)."""
    member = member_for(session, caller, member_id)
    if not holds(caller, SENDERS, member.home_store_id):
        raise Forbidden(f"messaging member {member.id} needs {describe(SENDERS, member.home_store_id)}")
    row = enqueue(
        session,
        member.id,
        "campaign",
        {"text": ask.text},
        key=f"campaign:{caller.id}:{ask.idempotency_key}",
        channel=ask.channel,
        store_id=member.home_store_id,
        now=now,
    )
    return message_read(row)


def language_of(member: Member) -> str:
    """The language the member's messages are written in."""
    return member_lang(member)
