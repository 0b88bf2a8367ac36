"""Messaging: the templates members' messages are written from, the consent ledger, members' WeChat ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
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


BOUND = text("unbound_at IS NULL")


class MemberChannelIdentity(Base):
    """A member's id on a channel's app (their WeChat openid for our official account), bound by staff.

    The openid is an identifier like a phone number: stored encrypted, with a keyed hash for the
    uniqueness check, never in clear text. Unbinding sets `unbound_at`, so the history stays.
    """

    __tablename__ = "member_channel_identities"
    __table_args__ = (
        # One member per openid of an app, and one openid per member and app, among the bindings in force.
        Index(
            "uq_member_channel_identities_bound_openid",
            "channel",
            "app_id",
            "openid_hash",
            unique=True,
            sqlite_where=BOUND,
            postgresql_where=BOUND,
        ),
        Index(
            "uq_member_channel_identities_bound_member",
            "member_id",
            "channel",
            "app_id",
            unique=True,
            sqlite_where=BOUND,
            postgresql_where=BOUND,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    app_id: Mapped[str] = mapped_column(String(64))
    openid_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    openid_hash: Mapped[str] = mapped_column(String(64))
    # till, app, member_page, import
    source: Mapped[str] = mapped_column(String(20))
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
