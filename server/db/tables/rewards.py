"""Rewards members exchange points for (积分兑换): gifts handed over in store and coupons, stock-limited.

An exchange is a points redemption (a `redeem` entry in the points ledger, with its one-time code when
large) plus a row here; cancelling an uncollected gift refunds the points as positive adjustments that
expire when the lots they came from would have.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow

REWARD_KINDS = ("gift", "coupon")
EXCHANGE_STATUSES = ("to_collect", "collected", "issued", "cancelled")


class Reward(Base):
    """One entry of the rewards catalogue; editing it changes future exchanges only."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("kind IN ('gift', 'coupon')", name="kind"),
        CheckConstraint("points > 0", name="points_positive"),
        # The stock can never be taken below zero, whatever races the application loses.
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    points: Mapped[int] = mapped_column(Integer)
    # Left to hand out; NULL is without limit.
    stock: Mapped[int | None] = mapped_column(Integer)
    exchanged: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    coupon_template_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_templates.id"))
    store_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every store
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every tier
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class RewardExchange(Base):
    """A member's exchange of points for a reward, and what became of it."""

    __tablename__ = "reward_exchanges"
    __table_args__ = (
        Index("ix_reward_exchanges_member_time", "member_id", "created_at"),
        Index("ix_reward_exchanges_reward_member", "reward_id", "member_id"),
        CheckConstraint("status IN ('to_collect', 'collected', 'issued', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    # The catalogue entry as it was exchanged (its version, cost and name in both languages).
    reward_version: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    name_en: Mapped[str] = mapped_column(String(120), default="")
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    points_entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
