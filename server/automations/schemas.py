"""Journeys at the HTTP edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class JourneyCreate(BaseModel):
    """A new journey, saved as a draft."""

    slug: str = Field(min_length=2, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    store_id: int | None = Field(None, description="a store's own journey; empty for the chain's")
    per_store_switch: bool = Field(False, description="runs only for stores that switch it on")
    definition: dict[str, Any]


class JourneyUpdate(BaseModel):
    """A new draft (and names)."""

    name_zh: str | None = Field(None, min_length=1, max_length=120)
    name_en: str | None = Field(None, min_length=1, max_length=120)
    definition: dict[str, Any]


class DefinitionCheck(BaseModel):
    """A definition to validate without saving."""

    definition: dict[str, Any]


class JourneyRead(BaseModel):
    """A journey: its state, its draft, the live version and the stores that switched it on."""

    id: int
    slug: str
    name_zh: str
    name_en: str
    store_id: int | None
    status: Literal["draft", "active", "paused"]
    per_store_switch: bool
    live_version: int | None
    draft: dict[str, Any]
    live: dict[str, Any] | None
    switched_on: list[int]
    updated_at: datetime


class VersionRead(BaseModel):
    """A published version."""

    version: int
    definition: dict[str, Any]
    published_by_id: int | None
    published_at: datetime


class SwitchWrite(BaseModel):
    """A store's switch."""

    enabled: bool


class SwitchRead(BaseModel):
    """A store's switch as saved."""

    journey_id: int
    store_id: int
    enabled: bool


class SimulateRequest(BaseModel):
    """Whom to walk through the journey, from when, and whether to try the draft."""

    member_id: int = Field(ge=1)
    at: datetime | None = Field(None, description="the moment the trigger fires; now if empty")
    draft: bool = False


class SimStepRead(BaseModel):
    """A step the member would take."""

    node: str
    type: str
    at: datetime
    does: str
    branch: str | None


class SimulationRead(BaseModel):
    """A dry run."""

    member_id: int
    version: str
    enters: bool
    reason: str
    arm: str
    steps: list[SimStepRead]


class ArmRead(BaseModel):
    """One arm's members whose goal window closed, conversions and revenue."""

    members: int
    converted: int
    conversion_rate: float
    revenue_per_member: float


class LiftRead(BaseModel):
    """Treatment minus a control group with 95% intervals, or why there is not enough data yet."""

    enough_data: bool
    reason: str
    conversion_lift: float | None
    conversion_low: float | None
    conversion_high: float | None
    relative_lift: float | None
    revenue_lift: float | None
    revenue_low: float | None
    revenue_high: float | None


class ReportRead(BaseModel):
    """How a journey did."""

    journey_id: int
    entered: dict[str, int]
    by_status: dict[str, int]
    steps: dict[str, dict[str, int]]
    arms: dict[str, ArmRead]
    against_holdout: LiftRead
    against_global: LiftRead


class AudiencePreview(BaseModel):
    """A campaign's audience rule to count."""

    rule: dict[str, Any]
    store_id: int | None = None


class AudienceCount(BaseModel):
    """How many members the rule selects now."""

    members: int
