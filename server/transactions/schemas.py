"""Transactions at the HTTP edge. Amounts are decimal strings so no cent is lost to floating point."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class TransactionLineRead(BaseModel):
    id: int
    line_no: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount_amount: Decimal
    original_line_id: int | None


class TransactionRead(BaseModel):
    id: int
    store_id: int
    member_id: int | None
    occurred_at: datetime
    kind: str
    total_amount: Decimal
    discount_amount: Decimal
    coupon_code: str | None
    original_transaction_id: int | None
    source: str
    lines: list[TransactionLineRead]
