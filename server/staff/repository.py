"""SQL for staff accounts and their roles."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from server.db.tables import Staff, StaffRole


def login_taken(session: Session, login: str) -> bool:
    """True when a staff account already uses this (normalised) login."""
    return bool(session.scalar(select(exists().where(Staff.login == login))))


def get_staff(session: Session, staff_id: int) -> Staff | None:
    """The staff account with this id, if any."""
    return session.get(Staff, staff_id)


def list_staff(session: Session, store_id: int | None, *, limit: int, offset: int) -> tuple[list[Staff], int]:
    """Staff holding a role in `store_id` (everyone when None), ordered by login; with the total count."""
    query = select(Staff)
    if store_id is not None:
        in_store = select(StaffRole.staff_id).where(StaffRole.store_id == store_id)
        query = query.where(Staff.id.in_(in_store))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Staff.login, Staff.id).limit(limit).offset(offset)).all()
    return list(rows), total


def add_staff(session: Session, staff: Staff) -> Staff:
    """Insert a staff account with its roles and give it its id."""
    session.add(staff)
    session.flush()
    return staff
