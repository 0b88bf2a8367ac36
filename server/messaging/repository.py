"""The outbox's SQL: claiming due rows, the times that count against caps, and conditional state moves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from server.db.session import core
from server.db.tables import ConsultantAssignment, Member, MemberChannelIdentity, OutboxMessage, Store
from server.messaging.purposes import LEGACY_KINDS, PURPOSES

MARKETING = [p.name for p in PURPOSES.values() if p.purpose_class == "marketing"] + [
    k for k, p in LEGACY_KINDS.items() if PURPOSES[p].purpose_class == "marketing"
]
# A message that went out, or may have: it counts against the member's caps.
COUNTED = ("sending", "sent", "delivered", "unknown")


def due(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Queued rows due now, oldest first; on PostgreSQL locked, skipping rows another worker holds."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "queued")
        .where(or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now))
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    return list(session.scalars(stmt))


def lock_members(session: Session, member_ids: Iterable[int]) -> None:
    """Lock the members' rows (PostgreSQL) in id order, so caps and opt-outs are judged one at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    wanted = sorted(set(member_ids))
    session.execute(select(Member.id).where(Member.id.in_(wanted)).order_by(Member.id).with_for_update())


_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
_TAKES: dict[tuple[str, ...], Any] = {}


def take(session: Session, row_id: int, values: dict[str, Any], status: str = "queued") -> bool:
    """Move one row on only if it is still in `status` (the atomic conditional UPDATE of a claim)."""
    names = tuple(sorted(values))
    stmt = _TAKES.get(names)
    if stmt is None:  # built once per set of columns: the claim runs it for every message
        stmt = _TAKES[names] = (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status == bindparam("expected"))
            .values({name: bindparam(f"v_{name}") for name in names})
        )
    params = {f"v_{k}": v for k, v in values.items()} | {"row_id": row_id, "expected": status}
    return core(session).execute(stmt, params).rowcount == 1


def finish(session: Session, row_id: int, owner: str, values: dict[str, Any]) -> bool:
    """Record a send's outcome, only while this dispatcher's claim on the row stands."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id, OutboxMessage.status == "sending", OutboxMessage.claim_owner == owner
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def sent_times_of(
    session: Session, member_ids: Iterable[int], since: datetime
) -> dict[tuple[int, str], list[datetime]]:
    """(member, channel) -> when their marketing messages went out since `since`, for a batch at once."""
    stmt = select(OutboxMessage.member_id, OutboxMessage.channel, OutboxMessage.sent_at).where(
        OutboxMessage.member_id.in_(sorted(set(member_ids))),
        OutboxMessage.sent_at > since,
        OutboxMessage.status.in_(COUNTED),
        OutboxMessage.kind.in_(MARKETING),
    )
    out: dict[tuple[int, str], list[datetime]] = {}
    for member_id, channel, sent_at in session.execute(stmt):
        if sent_at is not None and member_id is not None:
            out.setdefault((member_id, channel), []).append(sent_at)
    return out


def sent_times(session: Session, member_id: int, channel: str, since: datetime) -> list[datetime]:
    """When the member's marketing messages on the channel went out (or were claimed to) since `since`."""
    stmt = select(OutboxMessage.sent_at).where(
        OutboxMessage.member_id == member_id,
        OutboxMessage.channel == channel,
        OutboxMessage.sent_at > since,
        OutboxMessage.status.in_(COUNTED),
        OutboxMessage.kind.in_(MARKETING),
    )
    return [t for t in session.scalars(stmt) if t is not None]


def members(session: Session, ids: Iterable[int]) -> dict[int, Member]:
    """Members by id."""
    found = session.scalars(select(Member).where(Member.id.in_(sorted(set(ids)))))
    return {m.id: m for m in found}


def stores(session: Session, ids: Iterable[int | None]) -> dict[int, Store]:
    """Stores by id."""
    wanted = sorted({i for i in ids if i is not None})
    return {s.id: s for s in session.scalars(select(Store).where(Store.id.in_(wanted)))} if wanted else {}


def primary_consultants(session: Session, member_ids: Sequence[int]) -> dict[int, int]:
    """Member id -> the staff id of their consultant (primary first)."""
    stmt = select(
        ConsultantAssignment.member_id, ConsultantAssignment.staff_id, ConsultantAssignment.position
    ).where(
        ConsultantAssignment.member_id.in_(sorted(set(member_ids))), ConsultantAssignment.ended_at.is_(None)
    )
    out: dict[int, int] = {}
    for member_id, staff_id, position in session.execute(stmt):
        if position == "primary" or member_id not in out:
            out[member_id] = staff_id
    return out


def expire_claims(session: Session, now: datetime) -> int:
    """Sends whose claim ran out become `unknown`: they may have reached the provider."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claim_expires_at < now)
        .values(
            status="unknown", reason="the sender stopped during the send: to be checked with the provider"
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def unknown(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Messages whose fate the provider must tell, due for a check."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "unknown")
        .where(or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def provider_ids_to(session: Session, row: OutboxMessage) -> frozenset[str]:
    """Provider ids other messages to the same member on the same channel already hold."""
    stmt = select(OutboxMessage.provider_id).where(
        OutboxMessage.member_id == row.member_id,
        OutboxMessage.channel == row.channel,
        OutboxMessage.id != row.id,
        OutboxMessage.provider_id.is_not(None),
    )
    return frozenset(str(p) for p in session.scalars(stmt))


def by_receipt(
    session: Session, key: str | None, provider: str, provider_id: str | None
) -> OutboxMessage | None:
    """The message a delivery receipt is about: by key, else by the provider's id."""
    if key:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).first()
        if found is not None:
            return found
    if provider_id:
        stmt = select(OutboxMessage).where(
            OutboxMessage.provider == provider, OutboxMessage.provider_id == provider_id
        )
        return session.scalars(stmt).first()
    return None


RETRY_CHECK = timedelta(seconds=60)


def bound_openids(session: Session, member_ids: Sequence[int], app_id: str) -> dict[int, bytes]:
    """Member id -> their encrypted WeChat openid for the official account `app_id` (bound now)."""
    stmt = select(MemberChannelIdentity.member_id, MemberChannelIdentity.openid_encrypted).where(
        MemberChannelIdentity.member_id.in_(sorted(set(member_ids))),
        MemberChannelIdentity.channel == "wechat",
        MemberChannelIdentity.app_id == app_id,
        MemberChannelIdentity.unbound_at.is_(None),
    )
    return {member_id: blob for member_id, blob in session.execute(stmt)}


def binding(
    session: Session, app_id: str, *, member_id: int | None = None, openid_hash: str | None = None
) -> MemberChannelIdentity | None:
    """The WeChat binding in force for a member, or for an openid (by its keyed hash), on `app_id`."""
    stmt = select(MemberChannelIdentity).where(
        MemberChannelIdentity.channel == "wechat",
        MemberChannelIdentity.app_id == app_id,
        MemberChannelIdentity.unbound_at.is_(None),
    )
    if member_id is not None:
        stmt = stmt.where(MemberChannelIdentity.member_id == member_id)
    if openid_hash is not None:
        stmt = stmt.where(MemberChannelIdentity.openid_hash == openid_hash)
    return session.scalars(stmt.limit(1)).first()
