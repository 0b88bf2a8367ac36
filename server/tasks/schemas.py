"""The task list and task completions at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class TaskRead(BaseModel):
    kind: str = Field(
        description="client, dormant, follow_up, or an alert's event kind (heat_alert, tier_change ...)."
    )
    member_id: int
    member_name: str
    tier: str
    reason: str = Field(description="One English sentence saying why this is on the list.")
    due_on: date | None
    ref: str = Field(description="What POST /tasks/done takes: follow_up:<id>, event:<id> or dormant:<id>.")


class TaskListRead(BaseModel):
    staff_id: int
    my_clients: list[TaskRead]
    dormant: list[TaskRead]
    alerts: list[TaskRead]
    follow_ups: list[TaskRead]


class TaskDone(BaseModel):
    ref: str = Field(min_length=3, max_length=60, description="follow_up:<id>, event:<id> or dormant:<id>.")
    idempotency_key: str = Field(min_length=1, max_length=80, description="A replay is done once.")


class TaskDoneRead(BaseModel):
    ref: str
    kind: str
    staff_id: int
    done_at: datetime
    idempotency_key: str
