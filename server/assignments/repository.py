"""SQL for consultant assignments: a member's consultants, a consultant's clients, a store's consultants."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from server.core.pagination import PageParams
from server.db.tables import ConsultantAssignment, Member, MemberTier, Staff, StaffRole, Transaction

CA = ConsultantAssignment


@dataclass(frozen=True)
class ClientRow:
    """One member a consultant looks after, with what the client list shows about them."""

    member_id: int
    name: str
    tier: str | None  # None: no tier row yet, i.e. the lowest tier
    position: str
    last_purchase_on: date | None


def active(session: Session, member_id: int) -> list[tuple[ConsultantAssignment, str]]:
    """The member's active assignments with each consultant's name, primary first."""
    stmt = (
        select(CA, Staff.display_name)
        .join(Staff, Staff.id == CA.staff_id)
        .where(CA.member_id == member_id, CA.ended_at.is_(None))
        .order_by(CA.position, CA.id)
    )
    return [(a, name) for a, name in session.execute(stmt)]


def active_at(session: Session, member_id: int, position: str) -> ConsultantAssignment | None:
    """The member's active assignment in one position, if any."""
    stmt = select(CA).where(CA.member_id == member_id, CA.position == position, CA.ended_at.is_(None))
    return session.scalars(stmt).first()


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


def store_consultants(session: Session, store_id: int, roles: Collection[str]) -> list[tuple[Staff, str]]:
    """Active staff holding one of `roles` in the store, with the highest such role, by name."""
    stmt = (
        select(Staff, StaffRole.role)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.store_id == store_id, StaffRole.role.in_(sorted(roles)), Staff.active.is_(True))
        .order_by(Staff.display_name, Staff.id)
    )
    found: dict[int, tuple[Staff, str]] = {}
    for person, role in session.execute(stmt):
        # A manager who also consults is listed once, as the manager.
        if person.id not in found or role == "store_manager":
            found[person.id] = (person, role)
    return list(found.values())


def client_counts(session: Session, staff_ids: Collection[int]) -> dict[int, int]:
    """How many active clients each consultant has."""
    if not staff_ids:
        return {}
    stmt = (
        select(CA.staff_id, func.count())
        .where(CA.staff_id.in_(sorted(staff_ids)), CA.ended_at.is_(None))
        .group_by(CA.staff_id)
    )
    return {staff_id: int(n) for staff_id, n in session.execute(stmt)}
