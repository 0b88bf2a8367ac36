"""SQL for members."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.db.base import UTCDateTime
from server.db.session import core
from server.db.tables import LookupAudit, Member, Transaction

T = Transaction
# The look-up by each identifier, built once (every arrival at the door runs one).
_FIND = {
    "phone": select(Member.id).where(Member.phone_hash == bindparam("value")),
    "card": select(Member.id).where(Member.card_number == bindparam("value")),
    "qr": select(Member.id).where(Member.qr_token == bindparam("value")),
}
_MEMBER: Any = bindparam("member_id")
_SINCE = bindparam("since", type_=UTCDateTime())
_RETURN = aliased(Transaction)
VISITED = (
    select(T.store_id)
    .where(T.member_id == _MEMBER, T.kind == "sale")
    .where(~exists().where(_RETURN.original_transaction_id == T.id))
    .distinct()
)
LOOKED_UP = select(
    exists().where(
        LookupAudit.staff_id == bindparam("staff_id"),
        LookupAudit.member_id == _MEMBER,
        LookupAudit.method.in_(("phone", "card", "qr")),
        LookupAudit.occurred_at >= _SINCE,
    )
)


def get_member(session: Session, member_id: int) -> Member | None:
    """The member with this id, if any."""
    return session.get(Member, member_id)


def phone_hash_taken(session: Session, phone_hash: str, *, except_id: int | None = None) -> bool:
    """True when another member has this phone HMAC."""
    query = exists().where(Member.phone_hash == phone_hash)
    if except_id is not None:
        query = query.where(Member.id != except_id)
    return bool(session.scalar(select(query)))


def card_taken(session: Session, card_number: str) -> bool:
    """True when a member already holds this card number."""
    return bool(session.scalar(select(exists().where(Member.card_number == card_number))))


def qr_taken(session: Session, qr_token: str) -> bool:
    """True when a member already holds this QR token."""
    return bool(session.scalar(select(exists().where(Member.qr_token == qr_token))))


def add_member(session: Session, member: Member) -> Member:
    """Insert a member and give it its id."""
    session.add(member)
    session.flush()
    return member


def member_id_by_identifier(
    session: Session, store_ids: Collection[int] | None, *, card: str, phone_hash: str | None
) -> int | None:
    """The member of `store_ids` (all when None) whose phone HMAC is `phone_hash` or whose card is `card`."""
    matches = [Member.card_number == card] + ([Member.phone_hash == phone_hash] if phone_hash else [])
    query = select(Member.id).where(or_(*matches))
    if store_ids is not None:
        query = query.where(Member.home_store_id.in_(list(store_ids)))
    # A phone match first: a card number that is also someone's phone is the rarer reading.
    ordered = query.order_by((Member.phone_hash == phone_hash).desc()) if phone_hash else query
    return session.scalars(ordered.limit(1)).first()


def search_members(
    session: Session,
    store_ids: Collection[int] | None,
    *,
    text: str | None,
    phone_hash: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Member], int]:
    """Members of `store_ids` (all when None) whose name contains `text`, whose card or QR token is
    `text`, or whose phone HMAC is `phone_hash`; ordered by name, with the total count."""
    query = select(Member)
    if store_ids is not None:
        query = query.where(Member.home_store_id.in_(list(store_ids)))
    if text:
        matches: list[ColumnElement[bool]] = [
            Member.name.icontains(text, autoescape=True),
            Member.card_number == text,
            Member.qr_token == text,
        ]
        if phone_hash:
            matches.append(Member.phone_hash == phone_hash)
        query = query.where(or_(false(), *matches))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Member.name, Member.id).limit(limit).offset(offset)).all()
    return list(rows), total


def visited_store_ids(session: Session, member_id: int) -> set[int]:
    """Every store the member bought something in and kept it."""
    return set(session.scalars(VISITED, {"member_id": member_id}))


def looked_up_since(session: Session, staff_id: int, member_id: int, since: datetime) -> bool:
    """Whether this staff member found this member by phone, card or QR code since `since`."""
    return bool(session.scalar(LOOKED_UP, {"staff_id": staff_id, "member_id": member_id, "since": since}))


def member_id_by(session: Session, method: str, value: str) -> int | None:
    """The member whose phone HMAC, card number or QR token (`method`) is `value`."""
    found: int | None = core(session).execute(_FIND[method], {"value": value}).scalar()
    return found
