"""The loyalty programme at the HTTP edge: configuration, points, redemptions, benefits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.core.bounds import DB_INT_MAX, Id
from server.core.pagination import Page


class SettingRead(BaseModel):
    key: str
    version: int = Field(description="0 while the defaults are in force.")
    updated_at: datetime | None
    value: dict[str, Any]


class RedemptionCreate(BaseModel):
    points: int = Field(gt=0, le=DB_INT_MAX)
    store_id: Id = Field(description="The store the points are spent in.")
    code: str | None = Field(None, pattern=r"^\s*\d{6}\s*$", description="The code the member received.")
    idempotency_key: str | None = Field(None, min_length=1, max_length=100)


class RedemptionRead(BaseModel):
    status: Literal["redeemed", "code_sent", "wrong_code"]
    points: int
    value: Decimal = Field(description="What the points are worth at the till.")
    available: int = Field(description="Points left to spend after this call.")
    entry_id: int | None
    message_id: int | None = Field(description="The outbox message carrying the code.")
    attempts_left: int | None
    replayed: bool
    detail: str


class ExpiringRead(BaseModel):
    on: date
    points: int


class PointsEntryRead(BaseModel):
    id: int
    kind: str
    points: int
    occurred_at: datetime
    expires_on: date | None
    transaction_id: int | None
    store_id: int | None
    note: str


class PointsLedgerRead(BaseModel):
    balance: int
    available: int
    debt: int
    value: Decimal
    expiring: list[ExpiringRead] = Field(description="Points expiring within 30 days, by day.")
    entries: Page[PointsEntryRead]


class BenefitUse(BaseModel):
    store_id: Id | None = Field(None, description="Where it is used; your only store if left out.")
    transaction_id: Id | None = None
    idempotency_key: str | None = Field(None, min_length=1, max_length=120)


class BenefitUsageRead(BaseModel):
    id: int
    benefit: str
    member_id: int
    used_at: datetime
    store_id: int | None
    staff_id: int | None
    transaction_id: int | None


class CheckInCreate(BaseModel):
    store_id: Id | None = Field(None, description="Where the member checks in; your only store if left out.")


class ActivityCreate(BaseModel):
    kind: str = Field(min_length=2, max_length=40, description="A configured activity, e.g. event_attended.")
    reference: str = Field(
        min_length=1, max_length=60, description="Which event or survey: earned once per reference."
    )
    store_id: Id | None = Field(None, description="The store that ran it; your only store if left out.")


class PointsAwardRead(BaseModel):
    entry_id: int
    points: int = Field(description="Points this check-in or activity earned, bonus included.")
    streak: int = Field(description="Check-ins: days in a row, today included (0 for an activity).")
    bonus: int = Field(description="Check-ins: the streak bonus within `points`.")
    expires_on: date | None
    available: int = Field(description="Points the member can spend now.")
    replayed: bool = Field(description="True when this was already recorded: nothing new was earned.")
    detail: str
