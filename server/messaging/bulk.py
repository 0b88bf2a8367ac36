"""Queueing many messages at once (a nightly notice to thousands of members), a few queries per chunk.

`enqueue_many` does what `enqueue` does for each notice — same key, same row; the member's language;
checked variables; the channel picked from the member's phone and consents — but reads a chunk's keys,
members, stores, consents and consultants in one query each and inserts the chunk's rows together.
Consent, caps and quiet hours are still judged by the dispatcher when it claims a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.context import keys_of
from server.core.errors import Conflict, NotFound
from server.db.queries import chunks
from server.db.tables import ConsultantAssignment, Member, MessageTemplate, OutboxMessage, Store
from server.messaging import consent, templates
from server.messaging.outbox import (
    common_values,
    enqueue,
    member_lang,
    pick_channel,
    seal_secrets,
    split_secrets,
)
from server.messaging.purposes import check_variables, purpose_of


@dataclass(frozen=True)
class Notice:
    """One message to queue: to whom, about what, with which variables, under which key."""

    member_id: int
    purpose: str
    variables: dict[str, Any]
    key: str
    channel: str | None = None  # None: the member's usual channel for the purpose


def _known(session: Session, part: Sequence[Notice]) -> set[str]:
    """The chunk's keys already in the outbox (409 when one names another member or purpose)."""
    wanted = {n.key: n for n in part}
    stmt = select(OutboxMessage.dedup_key, OutboxMessage.member_id, OutboxMessage.kind).where(
        OutboxMessage.dedup_key.in_(sorted(wanted))
    )
    found: set[str] = set()
    for key, member_id, kind in session.execute(stmt):
        notice = wanted[str(key)]
        if member_id != notice.member_id or purpose_of(kind).name != purpose_of(notice.purpose).name:
            raise Conflict(f"message key {key!r} was used for another member or purpose")
        found.add(str(key))
    return found


def _looked_after(session: Session, member_ids: list[int]) -> set[int]:
    stmt = select(ConsultantAssignment.member_id).where(
        ConsultantAssignment.member_id.in_(member_ids), ConsultantAssignment.ended_at.is_(None)
    )
    return set(session.scalars(stmt))


def enqueue_many(session: Session, notices: Sequence[Notice], *, now: datetime) -> int:
    """Queue every notice whose key is new (see the module docstring); how many rows were added."""
    added = 0
    stores: dict[int, Store | None] = {}
    bodies: dict[tuple[str, str], MessageTemplate] = {}
    for part in chunks(notices):
        known = _known(session, part)
        fresh = list({n.key: n for n in part if n.key not in known}.values())
        if not fresh:
            continue
        ids = sorted({n.member_id for n in fresh})
        held = {i for i in ids if Session.identity_key(Member, i) in session.identity_map}
        members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
        if missing := [i for i in ids if i not in members]:
            raise NotFound(f"member {missing[0]} does not exist")
        wanted = {m.home_store_id for m in members.values() if m.home_store_id is not None} - stores.keys()
        if wanted:
            found = {s.id: s for s in session.scalars(select(Store).where(Store.id.in_(wanted)))}
            stores.update({i: found.get(i) for i in wanted})
        ledger, looked_after = consent.ledgers(session, ids), _looked_after(session, ids)
        rows = []
        for n in fresh:
            member, spec = members[n.member_id], purpose_of(n.purpose)
            store = stores.get(member.home_store_id) if member.home_store_id is not None else None
            plain, secrets = split_secrets(spec, check_variables(spec, n.variables))
            values, lang = common_values(member, store) | plain, member_lang(member)
            if (spec.name, lang) not in bodies:
                bodies[spec.name, lang] = templates.current(session, spec.name, lang)
            template, currency = bodies[spec.name, lang], store.currency if store else ""
            rows.append(
                {
                    "member_id": member.id,
                    "channel": n.channel
                    or pick_channel(session, member, spec, ledger, member.id in looked_after),
                    "kind": spec.name,
                    "body": templates.render(spec, template.body, values, lang, currency),
                    "variables": values,
                    "secret_encrypted": seal_secrets(keys_of(session), secrets) if secrets else None,
                    "lang": lang,
                    "template_version": template.version,
                    "store_id": member.home_store_id,
                    "status": "queued",
                    "dedup_key": n.key,
                    "due_at": now,
                    "created_at": now,
                }
            )
        added += _insert(session, rows, fresh, now)
        # A million members must not pile up in the session: let go of those this chunk loaded.
        for member in members.values():
            if member.id not in held:
                session.expunge(member)
    return added


def _insert(session: Session, rows: list[dict[str, Any]], fresh: list[Notice], now: datetime) -> int:
    """Insert a chunk's rows; if another writer queued one of the keys meanwhile, one by one instead."""
    try:
        with session.begin_nested():
            session.execute(insert(OutboxMessage), rows)
        return len(rows)
    except IntegrityError:
        before = len(_known_keys(session, [n.key for n in fresh]))
        for n in fresh:
            enqueue(session, n.member_id, n.purpose, n.variables, key=n.key, now=now)
        return len(fresh) - before


def _known_keys(session: Session, keys: list[str]) -> set[str | None]:
    return set(session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))))
