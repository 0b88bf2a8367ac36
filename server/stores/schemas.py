"""Stores at the HTTP edge."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StoreRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    country: str
    city: str
    timezone: str
    currency: str
    created_at: datetime


class StoreCreate(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Short unique code, e.g. 'SH-001'.")
    name: str = Field(min_length=1, max_length=200)
    country: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    timezone: str = Field("UTC", max_length=64, description="IANA zone, e.g. 'Asia/Shanghai'.")
    currency: str = Field("GBP", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/London'") from exc
        return value
