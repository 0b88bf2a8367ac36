"""SQL for the member page's sign-in codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.tables import SignInCode


def add_code(session: Session, row: SignInCode) -> SignInCode:
    """Insert a code row and give it its id."""
    session.add(row)
    session.flush()
    return row


def get_code(session: Session, code_id: int) -> SignInCode | None:
    """The code row with this id, if any."""
    return session.get(SignInCode, code_id)


def codes_to_phone_since(session: Session, phone_hash: str, since: datetime) -> list[datetime]:
    """When codes were sent to this phone since `since`, oldest first."""
    stmt = (
        select(SignInCode.created_at)
        .where(SignInCode.phone_hash == phone_hash, SignInCode.created_at >= since)
        .order_by(SignInCode.created_at)
    )
    return list(session.scalars(stmt))


def codes_from_client_since(session: Session, client_hash: str, since: datetime) -> list[datetime]:
    """When this address asked for codes since `since`, oldest first."""
    stmt = (
        select(SignInCode.created_at)
        .where(SignInCode.client_hash == client_hash, SignInCode.created_at >= since)
        .order_by(SignInCode.created_at)
    )
    return list(session.scalars(stmt))


def wrong_guesses_from_client_since(session: Session, client_hash: str, since: datetime) -> int:
    """Wrong codes entered for codes this address asked for since `since`."""
    stmt = select(func.coalesce(func.sum(SignInCode.attempts), 0)).where(
        SignInCode.client_hash == client_hash, SignInCode.created_at >= since
    )
    return int(session.scalar(stmt) or 0)
