"""Members, their interactions with staff, and their VIP consultant assignments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Key of the member in the system it was imported from ("online-retail:17850"), for idempotent re-imports.
    external_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(10), default="unknown")
    birthday: Mapped[date | None] = mapped_column(Date)
    # The phone number never lies in clear text: AES-GCM ciphertext, plus an HMAC of the
    # normalised number for look-ups. A dump without the key reveals neither.
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    card_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    qr_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    home_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Interaction(Base):
    """A contact between a staff member and a member: call, WeChat, face-to-face note ..."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_member_time", "member_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    channel: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    # When the follow-up was marked done on the task list; it then leaves the list and is not reminded.
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the phone app so an offline write replayed twice is stored once.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsultantAssignment(Base):
    """Who looks after a member: one active primary and at most one active secondary consultant."""

    __tablename__ = "consultant_assignments"
    __table_args__ = (
        Index(
            "uq_consultant_assignments_active",
            "member_id",
            "position",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    position: Mapped[str] = mapped_column(String(10), default="primary")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
