"""Loyalty: tier state and changes, the points ledger, benefits, and what staff and members are told.

The points ledger is append-only: a correction is a new entry, never an update. Each debit (redeem,
expire, reverse, negative adjust) records which earn lots it consumed in `points_allocations`, so a lot's
remainder is its points less its allocations and FIFO expiry is exact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, Money, UTCDateTime, utcnow


class LoyaltySetting(Base):
    """One JSON document of configuration ("tiers", "earn", "redemption"), versioned on each change."""

    __tablename__ = "loyalty_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class MemberTier(Base):
    """A member's current tier and the growth it was last judged on; no row means the lowest tier."""

    __tablename__ = "member_tiers"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(40), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    spend: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    visits: Mapped[int] = mapped_column(Integer, default=0)


class TierChange(Base):
    """An upgrade or downgrade, what caused it (purchase, return, review) and why."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_member_time", "member_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    from_tier: Mapped[str] = mapped_column(String(40))
    to_tier: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


POINTS_KINDS = ("earn", "redeem", "expire", "reverse", "adjust")


class PointsEntry(Base):
    """One movement of points. Replaying an operation with the same idempotency key finds this row."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_member_time", "member_id", "occurred_at"),
        Index("ix_points_entries_kind_expires", "kind", "expires_on"),
        CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'reverse', 'adjust')", name="kind"),
        CheckConstraint(
            "(kind = 'earn' AND points >= 0) OR (kind IN ('redeem', 'expire', 'reverse') AND points <= 0) "
            "OR kind = 'adjust'",
            name="sign",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Earn lots (and positive adjustments) only: the day their remainder expires.
    expires_on: Mapped[date | None] = mapped_column(Date)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    # Per line: {"<transaction line id>": {"points": n, "quantity": q}}, plus rule names applied.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsAllocation(Base):
    """How many points a debit entry took from an earn lot."""

    __tablename__ = "points_allocations"
    __table_args__ = (CheckConstraint("points > 0", name="positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)


class Benefit(Base):
    """A tier benefit (free wrapping, birthday discount ...): who gets it and how often."""

    __tablename__ = "benefits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    quota: Mapped[int | None] = mapped_column(Integer)  # uses per period; NULL = without limit
    period: Mapped[str] = mapped_column(String(20), default="year")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BenefitUsage(Base):
    """One use of a benefit by a member, at the till or by a consultant."""

    __tablename__ = "benefit_usages"
    __table_args__ = (Index("ix_benefit_usages_member_time", "member_id", "used_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    benefit_id: Mapped[int] = mapped_column(ForeignKey("benefits.id"), index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")


class MemberEvent(Base):
    """Something a consultant should know about a member: tier change, heat alert, expiring points."""

    __tablename__ = "member_events"
    __table_args__ = (
        Index("ix_member_events_member_time", "member_id", "occurred_at"),
        Index("ix_member_events_staff_open", "staff_id", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    # The consultant to tell (the member's primary consultant when it was raised), if any.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Raising the same event twice (a re-run nightly job) finds this row instead.
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """One message to a member (SMS, WeChat, WeCom task, app push) and where it is in the outbox.

    States: queued -> sending -> sent -> delivered | failed | unknown | suppressed (docs/messaging.md).
    `dedup_key` is the message's idempotency key and the provider's out-id / session context: the same
    key always finds this row. A one-time code never lies in clear text: `secret_encrypted` is filled
    into the body only in the provider call, `secret_hash` (a keyed hash) is what the redemption checks.
    """

    __tablename__ = "message_outbox"
    __table_args__ = (
        Index("ix_message_outbox_status_time", "status", "created_at"),
        Index("ix_message_outbox_member_time", "member_id", "created_at"),
        Index("ix_message_outbox_status_due", "status", "due_at"),
        Index("ix_message_outbox_member_sent", "member_id", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None only for a sign-in code to a phone that is not a member yet (sent to `to_encrypted`).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    to_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    channel: Mapped[str] = mapped_column(String(20), default="sms")
    # The purpose (otp, birthday, campaign ...); two older names stay: redemption_code, points_expiring.
    kind: Mapped[str] = mapped_column(String(30))
    # The text with secret variables left as {placeholders}: what staff may see.
    body: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    # What the message is about, e.g. the redemption's idempotency key.
    reference: Mapped[str | None] = mapped_column(String(120), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member replied or clicked through: a signal for the heat index.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The template's variables (secret ones are in secret_encrypted, never here).
    variables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lang: Mapped[str | None] = mapped_column(String(5))
    template_version: Mapped[int | None] = mapped_column(Integer)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    # Not to be sent before: a retry's back-off or the end of the store's quiet hours.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_owner: Mapped[str | None] = mapped_column(String(80))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Send attempts the provider refused for a transient reason (back-off counts these).
    tries: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(120), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LookupAudit(Base):
    """Who looked up or opened which member's profile, when, from where and how.

    `method` is how the member was found (phone, card, qr) or "profile" for opening the 360° view; a
    look-up that found nobody is kept too, with no member.
    """

    __tablename__ = "lookup_audit"
    __table_args__ = (
        Index("ix_lookup_audit_member_time", "member_id", "occurred_at"),
        Index("ix_lookup_audit_staff_time", "staff_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    method: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
