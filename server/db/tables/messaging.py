"""Messaging: the templates members' messages are written from, and the consent ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class MessageTemplate(Base):
    """One version of the text for a purpose in a language; saving makes a new version, none is edited."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("purpose", "lang", "version", name="uq_message_templates_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    lang: Mapped[str] = mapped_column(String(5))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageConsent(Base):
    """One entry of a member's consent ledger: the latest per channel and purpose class is in force."""

    __tablename__ = "message_consents"
    __table_args__ = (Index("ix_message_consents_member", "member_id", "channel", "purpose_class", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # marketing, or service (a full opt-out of the channel: then nothing but one-time codes goes).
    purpose_class: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool] = mapped_column(Boolean)
    # till, app, member_page, sms_reply, unsubscribe_link, import
    source: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
