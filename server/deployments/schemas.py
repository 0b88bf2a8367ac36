"""Wire shapes of the model deployment endpoints."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.core.bounds import Id

VersionName = str  # a version folder's name, e.g. "aisle-20261207-021500"
StoreIds = list[Id] | None
STORE_IDS = Field(
    None, min_length=1, max_length=1000, description="Stores to change; leave it out for the whole chain."
)


def finite(value: float | None, digits: int = 4) -> float | None:
    """A figure rounded for the wire; None for NaN or infinity (which JSON cannot carry)."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


class DeploymentRead(BaseModel):
    """One period in which a store (or the chain, store_id null) served a version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int | None = Field(
        description="null: the whole chain (stores without a deployment of their own)."
    )
    version: str = Field(description="The incumbent (arm A while an experiment runs).")
    challenger: str | None = Field(description="Arm B while an experiment runs.")
    challenger_share: int = Field(description="Percent of members served by the challenger.")
    experiment: str | None
    started_at: datetime
    started_by: int | None = Field(description="The staff member; null from the command line.")
    ended_at: datetime | None
    end_reason: str | None = Field(
        description="promoted, rolled_back, stopped (an experiment kept A) or experiment (one began on it)."
    )
    forced: bool = Field(description="Promoted past the recall@10 check.")
    note: str


class ServingRead(BaseModel):
    store_id: int | None = Field(description="null: the whole chain.")
    role: Literal["incumbent", "challenger"]
    experiment: str | None
    share: int = Field(description="Percent of the scope's members it serves.")


class VersionRead(BaseModel):
    name: str
    created_at: str
    method: str
    params: dict[str, Any]
    data: dict[str, Any] = Field(description="The data window: first_day, last_day, members, items, source.")
    code_version: str
    metrics: dict[str, float] = Field(description="On the held-back split: recall@10, ndcg@10, ...")
    served_in: list[ServingRead]


class MetricComparison(BaseModel):
    a: float | None
    b: float | None
    ratio: float | None = Field(description="b / a; null when a is 0.")


class ComparisonRead(BaseModel):
    a: str
    b: str
    metrics: dict[str, MetricComparison]


class DeploymentsRead(BaseModel):
    active: list[DeploymentRead]
    recent: list[DeploymentRead] = Field(description="Ended rows, newest first.")


class PromoteRequest(BaseModel):
    version: VersionName = Field(min_length=1, max_length=120)
    store_ids: StoreIds = STORE_IDS
    force: bool = Field(
        False, description="Promote even if its recall@10 is worse than AISLE_MODEL_MAX_DROP allows."
    )


class RollbackRequest(BaseModel):
    store_ids: StoreIds = STORE_IDS


class ExperimentCreate(BaseModel):
    challenger: VersionName = Field(min_length=1, max_length=120)
    share: int = Field(ge=1, le=99, description="Percent of members served by the challenger (arm B).")
    store_ids: StoreIds = STORE_IDS


class ExperimentStop(BaseModel):
    keep: Literal["A", "B"] = Field(description="A: the incumbent stays; B: the challenger is promoted.")


class ChangeRead(BaseModel):
    """What a promotion, rollback or experiment change left serving."""

    experiment: str | None = None
    deployments: list[DeploymentRead]


class ArmRead(BaseModel):
    arm: Literal["A", "B"]
    version: str
    members: int
    shown: int
    accepted: int
    sold: int
    revenue: float = Field(description="Attributed sales, to the cent.")
    acceptance_rate: float | None = Field(description="accepted / shown.")
    sale_rate: float | None = Field(description="sold / shown.")
    revenue_per_shown: float | None


class DifferenceRead(BaseModel):
    difference: float = Field(description="B - A.")
    low: float = Field(description="95 % confidence interval, lower end.")
    high: float
    method: str


class ExperimentReportRead(BaseModel):
    experiment: str
    incumbent: str
    challenger: str
    share: int
    store_ids: list[int | None]
    started_at: datetime
    ended_at: datetime | None
    arms: dict[str, ArmRead]
    differences: dict[str, DifferenceRead | None] = Field(
        description="acceptance_rate and sale_rate (Newcombe's hybrid score interval), revenue_per_shown "
        "(Welch, normal approximation); null when an arm has too little to compare."
    )
