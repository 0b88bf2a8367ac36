"""The member 360° view and the look-up summary at the HTTP edge. Amounts are decimal strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


class StoreRef(BaseModel):
    id: int
    name: str


class StoreVisitRead(StoreRef):
    visits: int = Field(description="Days with a purchase in this store.")
    last_visit: date


class TierRead(BaseModel):
    name: str
    since: datetime | None
    next_tier: str | None
    spend_needed: Decimal
    visits_needed: int
    progress: str = Field(description="What the next tier still needs, e.g. '200.00 more to VIP'.")
    qualify: str = Field(
        description="spend_or_visits or spend_and_visits: how spend_needed and visits_needed join."
    )
    window_spend: Decimal
    window_visits: int
    window_days: int
    review_on: date | None = Field(description="When the tier is next at stake without new purchases.")
    review_tier: str | None = Field(
        description="The tier the member drops to on review_on without new purchases."
    )
    review: str | None


class ExpiringPoints(BaseModel):
    on: date
    points: int


class PointsRead(BaseModel):
    balance: int = Field(description="The sum of the ledger.")
    available: int = Field(description="Points that can be spent today.")
    debt: int = Field(description="Points returns took back that no lot could cover yet.")
    value: Decimal = Field(description="What the available points are worth at the till.")
    expiring_within_30_days: int
    expiring: list[ExpiringPoints]


class BenefitRead(BaseModel):
    code: str
    name: str
    available: bool
    remaining: int | None = Field(description="Uses left in this period; null means without limit.")
    valid_until: date | None
    reason: str
    reason_code: str = Field(
        description="The reason as data: not_for_tier, no_birthday, birthday_month, included, left, used_up."
    )
    tiers: list[str] = Field(description="The tiers the benefit is for.")
    quota: int | None = Field(description="Uses per period; null means without limit.")


class RfmRead(BaseModel):
    last_purchase_on: date | None
    recency_days: int | None
    frequency_365d: int = Field(description="Sales over the last 365 days.")
    visits_365d: int
    monetary_365d: Decimal = Field(description="Net spend over the last 365 days (returns deducted).")
    spend_30d: Decimal
    spend_90d: Decimal
    average_basket_365d: Decimal | None
    first_purchase_on: date | None
    lifetime_spend: Decimal


class CategoryRead(BaseModel):
    category: str
    amount: Decimal
    share: float = Field(description="Share of the member's 365-day merchandise spend.")


class ProductRead(BaseModel):
    product_id: int
    sku: str
    name: str
    purchases: int
    quantity: int
    amount: Decimal


class TagRead(BaseModel):
    tag: str
    source: str = Field(description="rule or staff")
    rule_id: int | None
    rule_version: int | None
    rule: dict[str, Any] | None = Field(description="The condition of the rule that set the tag.")
    rule_description: str | None
    explanation: list[str]
    tagged_at: datetime


class PersonaEvidenceRead(BaseModel):
    code: str = Field(
        description="purchases, coupon_or_discount_share, coupon_share, price_index, new_product_share, "
        "categories or weak_signal."
    )
    value: float | None = Field(description="A share (0-1), a price index, a count or a score.")
    threshold: float | None = Field(description="Purchases needed, or the score a persona needs.")
    persona: str | None = Field(description="The candidate persona a weak_signal is about.")


class PersonaRead(BaseModel):
    label: str
    scores: dict[str, float]
    reasons: list[str] = Field(description="The evidence as English sentences.")
    evidence: list[PersonaEvidenceRead] = Field(description="The same evidence as data, one item per reason.")


class DormancyRead(BaseModel):
    status: str
    days_since_last_purchase: int | None
    text: str


class WeeklyHeatRead(BaseModel):
    week_end: date
    value: int


class HeatRead(BaseModel):
    index: int = Field(ge=0, le=100)
    weekly: list[WeeklyHeatRead] = Field(description="The index at the end of the last eight weeks.")


class InteractionBrief(BaseModel):
    id: int
    channel: str
    note: str
    occurred_at: datetime
    follow_up_on: date | None
    staff_id: int | None
    staff_name: str | None


class ConsultantRead(BaseModel):
    staff_id: int
    name: str
    position: str = Field(description="primary or secondary")
    since: datetime


class UpcomingRead(BaseModel):
    on: date
    kind: str = Field(description="birthday, tier_review, benefit_expiry, points_expiry or follow_up")
    text: str


class ProfileCouponRead(BaseModel):
    """An open coupon as the clerk reads it out, in the caller's language."""

    id: int
    code: str
    name: str
    value: str
    valid_until: date
    hint: str = Field(description="How to use it: show the code at the till.")


class PurchaseLineRead(BaseModel):
    transaction_id: int
    occurred_at: datetime
    kind: str
    store_id: int
    line_no: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


class ProfileRead(BaseModel):
    """Everything a clerk or consultant needs about a member, in one call."""

    id: int
    name: str
    phone: str | None
    phone_masked: bool
    gender: str
    birthday: date | None
    card_number: str | None
    qr_token: str | None
    joined_on: date
    marketing_consent: bool
    locale: str
    home_store: StoreRef | None
    stores_visited: list[StoreVisitRead]
    tier: TierRead
    points: PointsRead
    benefits: list[BenefitRead]
    rfm: RfmRead
    favourite_categories: list[CategoryRead]
    favourite_products: list[ProductRead]
    price_band: str | None
    price_index: float | None
    coupon_redemption_rate: float | None = Field(
        description="Share of the coupons issued in 365 days that were used; null without coupons."
    )
    coupons: list[ProfileCouponRead] = Field(description="Open coupons, soonest to lapse first.")
    tags: list[TagRead]
    persona: PersonaRead
    dormancy: DormancyRead
    heat: HeatRead
    interactions: list[InteractionBrief]
    consultants: list[ConsultantRead]
    upcoming: list[UpcomingRead]
    recent_purchases: list[PurchaseLineRead]
    as_of: datetime


class MemberSummary(BaseModel):
    """What a look-up at the till shows: who this is and the few things to say first."""

    id: int
    name: str
    phone: str | None
    phone_masked: bool
    card_number: str | None
    home_store: StoreRef | None
    tier: str
    points_available: int
    last_purchase_on: date | None
    dormancy: str
    tags: list[str]
    consultants: list[ConsultantRead]
    profile_url: str
