"""SQL for issued offers: by code, key or sale, a member's open offers, redeeming, and a sale's returns."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db.queries import returned_units
from server.db.tables import IssuedOffer, Product, TransactionLine


def code_taken(session: Session, code: str) -> bool:
    """Whether a stored offer has this code."""
    return session.scalar(select(IssuedOffer.id).where(IssuedOffer.code == code)) is not None


def by_code(session: Session, code: str) -> IssuedOffer | None:
    """The offer with this (normalised) code."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.code == code))


def by_key(session: Session, key: str) -> IssuedOffer | None:
    """The offer issued under idempotency key `key`."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.idempotency_key == key))


def by_sale(session: Session, sale_id: int) -> IssuedOffer | None:
    """The offer a sale used."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.redeemed_transaction_id == sale_id))


def open_until(session: Session, member_id: int, today: date) -> list[date]:
    """The last valid day of each of the member's unused offers still valid `today`, soonest first."""
    stmt = (
        select(IssuedOffer.valid_until)
        .where(IssuedOffer.member_id == member_id, IssuedOffer.redeemed_at.is_(None))
        .where(IssuedOffer.valid_until >= today)
        .order_by(IssuedOffer.valid_until)
    )
    return list(session.scalars(stmt))


def categories_of(session: Session, product_ids: Collection[int]) -> dict[int, str]:
    """Each product's category."""
    found = session.execute(select(Product.id, Product.category).where(Product.id.in_(product_ids)))
    return {product_id: category for product_id, category in found}


def redeem(session: Session, offer_id: int, transaction_id: int, now: datetime) -> bool:
    """Mark the offer used by this sale unless it already is (a conditional update); True if this did."""
    stmt = (
        update(IssuedOffer)
        .where(IssuedOffer.id == offer_id, IssuedOffer.redeemed_at.is_(None))
        .values(redeemed_at=now, redeemed_transaction_id=transaction_id)
        .execution_options(synchronize_session=False)
    )
    return getattr(session.execute(stmt), "rowcount", 0) == 1


def sold_and_returned(session: Session, sale_id: int) -> tuple[dict[int, int], dict[int | None, int]]:
    """Units sold per line of the sale, and units returned so far per line."""
    sold = select(TransactionLine.id, TransactionLine.quantity).where(
        TransactionLine.transaction_id == sale_id
    )
    lines = {line_id: int(qty) for line_id, qty in session.execute(sold)}
    return lines, returned_units(session, lines)
