"""SQL for reactivation offers issued before coupons: by key, a member's, and their open ones."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import IssuedOffer


def by_key(session: Session, key: str) -> IssuedOffer | None:
    """The offer issued under idempotency key `key`."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.idempotency_key == key))


def open_until(session: Session, member_id: int, today: date) -> list[date]:
    """The last valid day of each of the member's unused offers still valid `today`, soonest first."""
    stmt = (
        select(IssuedOffer.valid_until)
        .where(IssuedOffer.member_id == member_id, IssuedOffer.redeemed_at.is_(None))
        .where(IssuedOffer.valid_until >= today)
        .order_by(IssuedOffer.valid_until)
    )
    return list(session.scalars(stmt))


def of_member(session: Session, member_id: int) -> list[IssuedOffer]:
    """The offers issued to the member before coupons existed."""
    return list(session.scalars(select(IssuedOffer).where(IssuedOffer.member_id == member_id)))
