"""Till transactions and their lines; a cancellation is a negative line linked to the one it undoes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, Money, UnitPrice, UTCDateTime, utcnow


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        Index("ix_transactions_member_time", "member_id", "occurred_at"),
        Index("ix_transactions_store_time", "store_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Receipt number in the source system ("online-retail:536365"); re-imports skip what exists.
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # NULL: anonymous sale
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # sale, return (a cancellation of earlier lines) or adjustment (stock write-off, bad debt).
    kind: Mapped[str] = mapped_column(String(12), default="sale")
    total_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    discount_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    original_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="till")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransactionLine(Base):
    __tablename__ = "transaction_lines"
    __table_args__ = (Index("uq_transaction_lines_line", "transaction_id", "line_no", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    amount: Mapped[Decimal] = mapped_column(Money)  # quantity x unit price less the line discount
    discount_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # For a negative (cancellation) line: the sale line it takes back, when it could be found.
    original_line_id: Mapped[int | None] = mapped_column(ForeignKey("transaction_lines.id"), index=True)


class PriceOverride(Base):
    """A till line sold at a price other than the catalogue's: the catalogue price, who sold, who approved."""

    __tablename__ = "price_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    list_price: Mapped[Decimal] = mapped_column(UnitPrice)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PriceApproval(Base):
    """A store manager's one-time code that lets a cashier ring one sale below the catalogue price."""

    __tablename__ = "price_approvals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # Keyed hash of the code: the code itself is shown once, to the manager who asked for it.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
