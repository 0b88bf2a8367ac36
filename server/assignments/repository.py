"""SQL for consultant assignments: a member's consultants, a store's consultants and their client counts."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.tables import ConsultantAssignment, Staff, StaffRole

CA = ConsultantAssignment


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
