"""Interactions between staff and members at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.core.bounds import Day, Id, Moment

Channel = Literal["call", "wechat", "face_to_face", "sms", "email"]


class InteractionCreate(BaseModel):
    channel: Channel
    note: str = Field("", max_length=4000)
    occurred_at: Moment | None = Field(
        None, description="When it happened (an offline phone); now if left out."
    )
    follow_up_on: Day | None = Field(
        None, description="A day to get back to the member; the nightly job reminds."
    )
    store_id: Id | None = Field(None, description="Where it happened; your only store if left out.")
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=80, description="A replay stores once."
    )


class InteractionRead(BaseModel):
    id: int
    member_id: int
    channel: str
    note: str
    occurred_at: datetime
    follow_up_on: date | None
    staff_id: int | None
    staff_name: str | None
    store_id: int | None
    created_at: datetime
