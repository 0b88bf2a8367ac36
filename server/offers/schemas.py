"""Reactivation offers issued to members, at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class OfferCreate(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=80, description="A replay issues once.")


class OfferRead(BaseModel):
    id: int
    member_id: int
    code: str = Field(description="What the member shows at the till, e.g. AISLE-7KQ2-9XTM.")
    discount_percent: int
    categories: list[str]
    item_ids: list[int]
    text: str = Field(description="The offer in words, in the member's language.")
    valid_until: date
    model_version: str
    staff_id: int | None
    staff_name: str | None
    store_id: int | None
    issued_at: datetime
