"""The member's own page: one-time sign-in codes sent to a phone number, kept hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class SignInCode(Base):
    """A code asked for on the member page: its keyed hash, expiry and wrong guesses, never the code.

    The phone is kept encrypted (to enrol the member once the code is right) and as its lookup HMAC (to
    throttle per phone); `client_hash` is a keyed hash of the caller's address, to throttle per address.
    """

    __tablename__ = "sign_in_codes"
    __table_args__ = (
        Index("ix_sign_in_codes_phone_time", "phone_hash", "created_at"),
        Index("ix_sign_in_codes_client_time", "client_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    client_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the right code was entered: the code can never be used again.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
