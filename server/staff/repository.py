"""SQL for staff accounts and their roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
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


def display_name(session: Session, staff_id: int | None) -> str | None:
    """The staff member's display name (None for no one)."""
    if staff_id is None:
        return None
    return session.scalar(select(Staff.display_name).where(Staff.id == staff_id))


def page_with_staff_names(
    session: Session, model: Any, where: ColumnElement[bool], order: Sequence[Any], *, limit: int, offset: int
) -> tuple[list[tuple[Any, str | None]], int]:
    """One page of `model` rows matching `where` in `order`, each with the display name of its `staff_id`;
    and the total count."""
    total = int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)
    stmt = (
        select(model, Staff.display_name)
        .outerjoin(Staff, Staff.id == model.staff_id)
        .where(where)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [(row, name) for row, name in session.execute(stmt)], total
