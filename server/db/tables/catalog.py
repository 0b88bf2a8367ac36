"""The product catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UnitPrice, UTCDateTime, utcnow


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(80), default="other", index=True)
    price: Mapped[Decimal] = mapped_column(UnitPrice, default=Decimal("0"))
    # Postage, fees and manual adjustments are sold through the till but are not merchandise.
    is_merchandise: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Free-form facts (colour, material, size) and translations: {"zh": {"name": ..., "description": ...}}.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
