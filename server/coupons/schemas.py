"""Coupon templates, coupons, batches, quotes and figures at the HTTP edge; terms are validated here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from server.core.bounds import Day, Id

Kind = Literal["amount_off", "percent_off", "gift"]
Purpose = Literal[
    "reactivation", "birthday", "first_order", "renewal", "welcome", "campaign", "points_exchange", "manual"
]
OnReturn = Literal["restore", "keep_used"]
Status = Literal["open", "used", "expired"]


class CouponTerms(BaseModel):
    """What a coupon takes off and where: copied onto every coupon issued, so an edit never changes those."""

    kind: Kind
    amount: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2, description="amount_off")
    percent: int | None = Field(None, ge=1, le=99, description="percent_off: 20 takes 20% off")
    min_spend: Decimal = Field(
        Decimal("0"), ge=0, max_digits=10, decimal_places=2, description="满300减50: spend on eligible lines"
    )
    categories: list[str] = Field(default_factory=list, max_length=50, description="Eligible categories.")
    product_ids: list[Id] = Field(default_factory=list, max_length=200, description="Eligible products.")
    gift_product_id: Id | None = Field(None, description="gift: the product given at zero price (one unit).")
    store_ids: list[Id] = Field(default_factory=list, max_length=500, description="Usable in; empty = all.")
    stackable: bool = False
    on_return: OnReturn = "restore"

    @model_validator(mode="after")
    def _kind_fits(self) -> CouponTerms:
        given = {"amount": self.amount, "percent": self.percent, "gift_product_id": self.gift_product_id}
        need = {"amount_off": "amount", "percent_off": "percent", "gift": "gift_product_id"}[self.kind]
        if given[need] is None:
            raise ValueError(f"a {self.kind} coupon needs {need}")
        extra = [k for k, v in given.items() if v is not None and k != need]
        if extra:
            raise ValueError(f"a {self.kind} coupon takes no {' or '.join(extra)}")
        return self

    def money(self) -> dict[str, Any]:
        """As stored: JSON with amounts as exact decimal strings."""
        return self.model_dump(mode="json")


class TemplateWrite(BaseModel):
    """A template as HQ saves it: validity is valid_days from issue or a fixed window, never both."""

    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    purpose: Purpose
    terms: CouponTerms
    valid_days: int | None = Field(None, ge=1, le=3650)
    valid_from: Day | None = None
    valid_until: Day | None = None
    per_member_limit: int = Field(1, ge=1, le=100, description="Open + used coupons one member may hold.")
    total_limit: int | None = Field(None, ge=1, le=10_000_000)
    active: bool = True

    @model_validator(mode="after")
    def _validity(self) -> TemplateWrite:
        window = self.valid_from is not None or self.valid_until is not None
        if self.valid_days is not None and window:
            raise ValueError("give valid_days or a fixed window (valid_from and valid_until), not both")
        if self.valid_days is None:
            if self.valid_from is None or self.valid_until is None:
                raise ValueError("give valid_days, or both valid_from and valid_until")
            if self.valid_until <= self.valid_from:
                raise ValueError("valid_until must come after valid_from")
        return self


class TemplateRead(TemplateWrite):
    id: int
    version: int
    updated_by: int | None = Field(description="The staff member who saved this version.")
    issued_count: int
    created_at: datetime
    updated_at: datetime


class CouponIssue(BaseModel):
    template_id: Id
    idempotency_key: str = Field(min_length=1, max_length=80, description="A replay issues once.")


class CouponRead(BaseModel):
    """One coupon as the member and the clerk see it."""

    id: int
    member_id: int
    template_id: int
    template_version: int
    code: str = Field(description="What the member shows at the till, e.g. AISLE-7KQ2-9XTM.")
    name: str = Field(description="In the language asked for.")
    name_zh: str
    name_en: str
    value: str = Field(description="What it takes off, in words, in the language asked for.")
    terms: CouponTerms
    source: str
    store_id: int | None
    valid_from: date
    valid_until: date
    status: Status
    issued_at: datetime
    redeemed_at: datetime | None
    redeemed_transaction_id: int | None
    discount_amount: Decimal | None


class BatchCreate(BaseModel):
    """Issue to every member with `tag`, or whose facts satisfy `rule` (the tag rule language)."""

    batch_key: str = Field(min_length=1, max_length=60, description="Re-running a batch issues nobody twice.")
    tag: str | None = Field(None, min_length=1, max_length=60)
    rule: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_segment(self) -> BatchCreate:
        if (self.tag is None) == (self.rule is None):
            raise ValueError("name the segment by tag or by rule (one of them)")
        return self


class BatchSkip(BaseModel):
    member_id: int
    reason: str


class BatchRead(BaseModel):
    template_id: int
    batch_key: str
    matched: int
    issued: list[int] = Field(description="Coupon ids issued by this run.")
    skipped: list[BatchSkip]


class QuoteLine(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=999)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=3)
    discount: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class QuoteCreate(BaseModel):
    """What the till is about to ring up, to price the coupons before the sale (nothing is redeemed)."""

    store_id: Id
    member_id: Id
    coupon_codes: list[str] = Field(min_length=1, max_length=5)
    lines: list[QuoteLine] = Field(min_length=1, max_length=200)


class QuotedCoupon(BaseModel):
    code: str
    discount: Decimal


class QuoteLineRead(BaseModel):
    line_no: int
    sku: str
    amount: Decimal
    discount_amount: Decimal


class QuoteRead(BaseModel):
    coupons: list[QuotedCoupon]
    discount: Decimal
    total: Decimal
    lines: list[QuoteLineRead]


class TemplateFigures(BaseModel):
    """核销率 and what it cost and brought, for one template."""

    template_id: int
    name: str
    purpose: str
    issued: int
    redeemed: int
    redemption_rate: float | None = Field(description="redeemed / issued; null when none issued.")
    discount_given: Decimal
    revenue: Decimal = Field(description="Totals of the sales that used these coupons.")
