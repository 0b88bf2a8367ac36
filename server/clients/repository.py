"""SQL for a consultant's clients: who they look after now, with tier and last purchase day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from server.core.pagination import PageParams
from server.db.tables import ConsultantAssignment, Member, MemberTier, Transaction

CA = ConsultantAssignment


@dataclass(frozen=True)
class ClientRow:
    """One member a consultant looks after, with what the client list shows about them."""

    member_id: int
    name: str
    tier: str | None  # None: no tier row yet, i.e. the lowest tier
    position: str
    last_purchase_on: date | None


def _is_client(staff_id: int) -> list[ColumnElement[bool]]:
    return [CA.staff_id == staff_id, CA.ended_at.is_(None)]


def client_rows(
    session: Session, staff_id: int, now: datetime, page: PageParams | None = None
) -> tuple[list[ClientRow], int]:
    """The consultant's active clients (primary first, then by name) with their last purchase day."""
    where = _is_client(staff_id)
    total = int(session.scalar(select(func.count()).select_from(CA).where(*where)) or 0)
    clients = select(CA.member_id).where(*where)
    last = (
        select(Transaction.member_id.label("member_id"), func.max(Transaction.occurred_at).label("at"))
        .where(Transaction.kind == "sale", Transaction.occurred_at <= now)
        .where(Transaction.member_id.in_(clients))
        .group_by(Transaction.member_id)
        .subquery()
    )
    stmt = (
        select(Member.id, Member.name, MemberTier.tier, CA.position, last.c.at)
        .select_from(CA)
        .join(Member, Member.id == CA.member_id)
        .outerjoin(MemberTier, MemberTier.member_id == Member.id)
        .outerjoin(last, last.c.member_id == Member.id)
        .where(*where)
        .order_by(CA.position, Member.name, Member.id)
    )
    if page is not None:
        stmt = stmt.limit(page.limit).offset(page.offset)
    rows = [
        ClientRow(member_id, name, tier, position, at.date() if at is not None else None)
        for member_id, name, tier, position, at in session.execute(stmt)
    ]
    return rows, total
