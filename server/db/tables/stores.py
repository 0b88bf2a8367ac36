"""Stores: a physical shop (or, for imported data, one per country of the source)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # No marketing message reaches a member of the store between these local times ("HH:MM").
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00", server_default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
