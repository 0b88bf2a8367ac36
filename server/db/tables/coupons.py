"""Coupon templates HQ defines and the coupons issued from them, one code per member."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, Money, UTCDateTime, utcnow


class CouponTemplate(Base):
    """What a coupon gives and when it may be used; an edit bumps `version` and leaves issued coupons alone.

    `terms` is `server.coupons.schemas.CouponTerms` as JSON (kind, value, threshold, eligible lines,
    stores, stacking, what a return does); validity is `valid_days` from issue or a fixed window.
    """

    __tablename__ = "coupon_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str] = mapped_column(String(20), index=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_days: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    per_member_limit: Mapped[int] = mapped_column(Integer, default=1)
    total_limit: Mapped[int | None] = mapped_column(Integer)
    # Counted by a conditional update at issue, so parallel issues cannot pass `total_limit` together.
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who saved this version
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coupon(Base):
    """One member's coupon: the template's terms as they were when issued, its code, and its use."""

    __tablename__ = "coupons"
    __table_args__ = (
        Index("ix_coupons_member_template", "member_id", "template_id"),
        Index("ix_coupons_template_time", "template_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    template_version: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # Typed by a cashier: upper-case letters and digits that cannot be misread ("AISLE-7KQ2-9XTM").
    code: Mapped[str] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # clerk, batch, automation, points_exchange
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # the issuing store, if any
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    # A copy of the template's terms at issue: a later edit of the template never changes this coupon.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the issuer said with it: a reactivation offer's sentence and the model version that chose it.
    note: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set in the same unit of work as the sale that used the code (a conditional update), cleared when
    # a full return restores the coupon.
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money)
