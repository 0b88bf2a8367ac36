"""SQL for till transactions: reading them, and the price approvals a sale spends."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.db.tables import PointsEntry, PriceApproval, Product, TierChange, Transaction, TransactionLine


def member_transactions(
    session: Session, member_id: int, *, limit: int, offset: int
) -> tuple[list[Transaction], int]:
    """A member's transactions, newest first, with their total count."""
    query = select(Transaction).where(Transaction.member_id == member_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Transaction.occurred_at.desc(), Transaction.id.desc())
    return list(session.scalars(ordered.limit(limit).offset(offset)).all()), total


def lines_with_products(
    session: Session, transaction_ids: Collection[int]
) -> list[tuple[TransactionLine, str, str]]:
    """(line, product sku, product name) for every line of these transactions, in till order."""
    if not transaction_ids:
        return []
    query = (
        select(TransactionLine, Product.sku, Product.name)
        .join(Product, Product.id == TransactionLine.product_id)
        .where(TransactionLine.transaction_id.in_(list(transaction_ids)))
        .order_by(TransactionLine.transaction_id, TransactionLine.line_no)
    )
    return [(line, sku, name) for line, sku, name in session.execute(query).all()]


def approval_by_hash(session: Session, code_hash: str) -> PriceApproval | None:
    """The price approval whose code hashes to `code_hash`."""
    return session.scalar(select(PriceApproval).where(PriceApproval.code_hash == code_hash))


def spend_approval(session: Session, approval_id: int, transaction_id: int, now: datetime) -> bool:
    """Mark the approval used by this transaction unless it already is; True if this call did."""
    stmt = (
        update(PriceApproval)
        .where(PriceApproval.id == approval_id, PriceApproval.used_at.is_(None))
        .values(used_at=now, transaction_id=transaction_id)
        .execution_options(synchronize_session=False)
    )
    return getattr(session.execute(stmt), "rowcount", 0) == 1


def products_by_sku(session: Session, skus: Collection[str]) -> dict[str, Product]:
    """The products with these SKUs, by SKU."""
    if not skus:
        return {}
    return {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}


def skus_of(session: Session, product_ids: Collection[int]) -> dict[int, str]:
    """Each product's SKU, by product id."""
    stmt = select(Product.id, Product.sku).where(Product.id.in_(product_ids))
    return {i: sku for i, sku in session.execute(stmt)}


def lines_of(session: Session, transaction_id: int) -> list[TransactionLine]:
    """A transaction's lines."""
    return list(
        session.scalars(select(TransactionLine).where(TransactionLine.transaction_id == transaction_id))
    )


def points_entry_of(session: Session, transaction_id: int) -> PointsEntry | None:
    """The points a transaction earned or took back (its first earn or reverse entry)."""
    return session.scalar(
        select(PointsEntry)
        .where(PointsEntry.transaction_id == transaction_id, PointsEntry.kind.in_(("earn", "reverse")))
        .order_by(PointsEntry.id)
        .limit(1)
    )


def last_tier_change(session: Session, transaction_id: int) -> TierChange | None:
    """The latest tier change a transaction caused."""
    return session.scalar(
        select(TierChange)
        .where(TierChange.transaction_id == transaction_id)
        .order_by(TierChange.id.desc())
        .limit(1)
    )


def locked(session: Session, transaction_id: int) -> Transaction | None:
    """The transaction, locked for this unit of work (FOR UPDATE on PostgreSQL)."""
    return session.scalar(select(Transaction).where(Transaction.id == transaction_id).with_for_update())


def member_of(session: Session, transaction_id: int) -> int | None:
    """The member a transaction was made to."""
    return session.scalar(select(Transaction.member_id).where(Transaction.id == transaction_id))


def by_ref(session: Session, ref: str) -> Transaction | None:
    """The transaction booked under external reference `ref` (a till's idempotency key)."""
    return session.scalar(select(Transaction).where(Transaction.external_ref == ref))
