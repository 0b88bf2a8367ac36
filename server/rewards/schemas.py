"""The rewards catalogue and points exchanges at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from server.core.bounds import DB_INT_MAX, Id

CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"


class _Terms(BaseModel):
    name_en: str = Field("", max_length=120)
    name_zh: str = Field("", max_length=120)
    points: int = Field(gt=0, le=DB_INT_MAX, description="What the reward costs in points.")
    store_ids: list[Id] = Field(default_factory=list, description="Stores offering it; empty: every store.")
    tiers: list[str] = Field(
        default_factory=list, description="Tiers that may exchange it; empty: every tier."
    )
    per_member_limit: int | None = Field(None, ge=1, le=1000)
    valid_from: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _named_and_ordered(self) -> _Terms:
        if not (self.name_en.strip() or self.name_zh.strip()):
            raise ValueError("give the reward a name in English (name_en) or Chinese (name_zh)")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(f"valid_until {self.valid_until} is before valid_from {self.valid_from}")
        return self


class RewardCreate(_Terms):
    code: str = Field(pattern=CODE, description="A short unique code, e.g. TOTE-BAG.")
    kind: Literal["gift", "coupon"]
    stock: int | None = Field(None, ge=0, le=DB_INT_MAX, description="How many there are; none: no limit.")
    product_id: Id | None = Field(None, description="Gifts: the catalogue product handed over, if it is one.")
    coupon_template_id: Id | None = Field(None, description="Coupons: the coupon template issued.")

    @model_validator(mode="after")
    def _kind_fields(self) -> RewardCreate:
        if self.kind == "coupon" and self.coupon_template_id is None:
            raise ValueError("a coupon reward needs coupon_template_id")
        if self.kind == "gift" and self.coupon_template_id is not None:
            raise ValueError("coupon_template_id is for coupon rewards; this one is a gift")
        return self


class RewardUpdate(_Terms):
    active: bool = True
    stock_change: int = Field(
        0, ge=-DB_INT_MAX, le=DB_INT_MAX, description="Add to (or, negative, take from) the stock left."
    )
    unlimited: bool | None = Field(None, description="True: no stock limit from now; False: a limit again.")


class RewardRead(BaseModel):
    id: int
    code: str
    kind: str
    name: str = Field(description="In the caller's language (English or Chinese), the other when missing.")
    name_en: str
    name_zh: str
    points: int
    stock: int | None
    exchanged: int
    product_id: int | None
    coupon_template_id: int | None
    store_ids: list[int]
    tiers: list[str]
    per_member_limit: int | None
    valid_from: date | None
    valid_until: date | None
    active: bool
    version: int
    updated_at: datetime
    # For one member (GET /rewards?member_id=): can they exchange it now, and if not, why.
    available: bool | None = None
    reason: str | None = None


class ExchangeCreate(BaseModel):
    reward_id: Id
    store_id: Id | None = Field(None, description="Where the member exchanges; your only store if left out.")
    code: str | None = Field(None, pattern=r"^\s*\d{6}\s*$", description="The code the member received.")
    handed_over: bool = Field(False, description="Gifts: handed over now (else collected later in store).")
    idempotency_key: str | None = Field(None, min_length=1, max_length=80)


class ExchangeRead(BaseModel):
    id: int | None = Field(description="None while a code is awaited.")
    status: Literal["code_sent", "wrong_code", "to_collect", "collected", "issued", "cancelled"]
    reward_id: int
    member_id: int
    name: str
    points: int
    value: Decimal | None = Field(None, description="What the points would have been worth at the till.")
    available: int | None = Field(None, description="The member's points left to spend.")
    store_id: int | None
    coupon_id: int | None = None
    created_at: datetime | None = None
    collected_at: datetime | None = None
    cancelled_at: datetime | None = None
    attempts_left: int | None = None
    replayed: bool = False
    detail: str


class ExchangeCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
