"""Transactions at the HTTP edge. Amounts are decimal strings so no cent is lost to floating point."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from server.core.bounds import Id, Moment


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
    receipt: str = Field(description="The reference printed on the receipt; a return quotes it.")
    lines: list[TransactionLineRead]


class TillLine(BaseModel):
    """A line rung up at the till. A return line names the sale line it takes back and a negative quantity."""

    sku: str | None = Field(None, min_length=1, max_length=64, description="Required on a sale line.")
    quantity: int = Field(description="Units sold (> 0), or taken back on a return (< 0).")
    unit_price: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=3, description="Sale: defaults to the list price."
    )
    discount: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    original_line_id: Id | None = Field(None, description="Return: the sale line taken back.")

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0 or abs(value) > 100_000:
            raise ValueError("quantity must be non-zero and at most 100000 units")
        return value


class TransactionCreate(BaseModel):
    """A sale or return from a till; the member by id, card or phone, or none for an anonymous sale."""

    store_id: Id
    kind: Literal["sale", "return"] = "sale"
    member_id: Id | None = None
    member_card: str | None = Field(None, min_length=1, max_length=40)
    member_phone: str | None = Field(None, min_length=1, max_length=40)
    lines: list[TillLine] = Field(min_length=1, max_length=500)
    coupon_code: str | None = Field(
        None, min_length=1, max_length=40, description="One coupon (older tills); combined with coupon_codes."
    )
    coupon_codes: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=5, description="Coupons applied in this order (docs/coupons.md)."
    )
    original_transaction_id: Id | None = Field(None, description="Return: the sale being returned.")
    original_receipt: str | None = Field(
        None, min_length=1, max_length=80, description="Return: the receipt reference of that sale."
    )
    override_reason: str | None = Field(
        None, max_length=200, description="Why a line is sold below the catalogue price (audited)."
    )
    approval_code: str | None = Field(
        None,
        min_length=4,
        max_length=20,
        description="A store manager's one-time code (POST /stores/{id}/price-approvals) for a lower price.",
    )
    occurred_at: Moment | None = Field(
        None, description="When rung up (a till that was offline); now if left out."
    )
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=60, description="Or the Idempotency-Key header: a retry books once."
    )

    @model_validator(mode="after")
    def _one_member(self) -> TransactionCreate:
        named = [f for f in ("member_id", "member_card", "member_phone") if getattr(self, f) is not None]
        if len(named) > 1:
            raise ValueError(f"name the member once: {' and '.join(named)} were both given")
        return self


class PointsMovement(BaseModel):
    entry_id: int
    kind: str = Field(description="earn (a sale) or reverse (a return)")
    points: int


class TierChangeRead(BaseModel):
    from_tier: str
    to_tier: str
    reason: str


class TillReceipt(BaseModel):
    """What the till prints: the transaction, the points it moved and any tier change it caused."""

    transaction: TransactionRead
    points: PointsMovement | None
    tier_change: TierChangeRead | None


class PriceApprovalRead(BaseModel):
    """A one-time approval code, shown once: the manager reads it to the cashier."""

    code: str
    store_id: int
    expires_at: datetime
