"""SQL for till transactions: reading them, and the price approvals a sale spends."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.db.tables import PriceApproval, Product, Transaction, TransactionLine


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
