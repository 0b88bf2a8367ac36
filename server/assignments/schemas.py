"""Consultant assignments and client lists at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.core.bounds import Id

Position = Literal["primary", "secondary"]


class AssignmentUpdate(BaseModel):
    staff_id: Id = Field(description="An active vip_consultant or store_manager of the member's home store.")


class AssignmentRead(BaseModel):
    id: int
    member_id: int
    staff_id: int
    name: str = Field(description="The consultant's display name.")
    position: Position
    assigned_at: datetime
    assigned_by_id: int | None
    ended_at: datetime | None = Field(description="Null while the assignment is active.")


class ClientRead(BaseModel):
    id: int = Field(description="The member's id.")
    name: str
    tier: str
    position: Position
    last_purchase_on: date | None
    days_since_last_purchase: int | None
    dormant: bool = Field(description="No purchase for longer than the profile's dormancy threshold.")


class StoreConsultantRead(BaseModel):
    staff_id: int
    login: str
    name: str
    role: Literal["vip_consultant", "store_manager"]
    store_id: int
    store_name: str
    client_count: int
    open_task_count: int = Field(
        description="Dormant clients, open alerts and follow-ups on their task list."
    )
