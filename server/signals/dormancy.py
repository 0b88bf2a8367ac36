"""Dormancy: how long since a member last bought, and whether that makes them at risk or dormant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.core.words import counted

Status = Literal["active", "at_risk", "dormant", "never_purchased"]


class DormancyThresholds(BaseModel):
    """A member is at risk after more than `at_risk_days` without a purchase, dormant after `dormant_days`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_risk_days: int = Field(90, ge=1)
    dormant_days: int = Field(180, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> DormancyThresholds:
        if self.dormant_days <= self.at_risk_days:
            raise ValueError("dormant_days must be more than at_risk_days")
        return self


@dataclass(frozen=True)
class Dormancy:
    """A member's dormancy status with the days since their last purchase."""

    status: Status
    days_since_last_purchase: int | None
    text: str


def dormancy(last_purchase: date | None, today: date, limits: DormancyThresholds | None = None) -> Dormancy:
    """Classify a member by the days since their last purchase (a purchase today is 0 days)."""
    limits = limits or DormancyThresholds()
    if last_purchase is None:
        return Dormancy("never_purchased", None, "no purchase yet")
    days = max((today - last_purchase).days, 0)
    since = f"last purchase {counted(days, 'day')} ago ({last_purchase.isoformat()})"
    if days > limits.dormant_days:
        return Dormancy("dormant", days, f"dormant: {since}")
    if days > limits.at_risk_days:
        return Dormancy("at_risk", days, f"at risk: {since}")
    return Dormancy("active", days, f"active: {since}")
