"""Products at the HTTP edge."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    is_merchandise: bool
    active: bool
    attributes: dict[str, Any]
    translations: dict[str, Any]
    first_seen_at: datetime | None


class CategoryCount(BaseModel):
    category: str
    count: int
