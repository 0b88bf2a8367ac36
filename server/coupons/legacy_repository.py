"""SQL for reactivation offers issued before coupons (`issued_offers`) as the till uses them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db.queries import returned_units
from server.db.tables import IssuedOffer, Product, TransactionLine


def by_code(session: Session, code: str) -> IssuedOffer | None:
    """The offer with this (normalised) code."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.code == code))


def by_sale(session: Session, sale_id: int) -> IssuedOffer | None:
    """The offer a sale used."""
    return session.scalar(select(IssuedOffer).where(IssuedOffer.redeemed_transaction_id == sale_id))


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
