"""SQL for signing in: finding a staff account by login or id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from server.db.tables import Staff


def staff_by_login(session: Session, login: str) -> Staff | None:
    """The staff account with this (already normalised) login, if any."""
    return session.scalars(select(Staff).where(Staff.login == login)).one_or_none()


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    """The staff account with this id and its roles, if any (one query: every request signs in)."""
    return session.get(Staff, staff_id, options=[joinedload(Staff.roles)])
