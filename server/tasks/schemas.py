"""The task list and task completions at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
    # The reason as data, for a phone to word in its own language (null where it does not apply).
    position: str | None = Field(None, description="client: primary or secondary.")
    days_since_last_purchase: int | None = Field(None, description="client and dormant; null: never bought.")
    dormant: bool = Field(False, description="client: whether the member has gone dormant.")
    days_since_contact: int | None = Field(None, description="dormant: null when nobody ever contacted them.")
    channel: str | None = Field(None, description="follow_up: how the contact was made (call, wechat ...).")
    contact_on: date | None = Field(None, description="follow_up: the day of the contact.")
    contact_by: str | None = Field(None, description="follow_up: who logged it, when not this staff member.")
    note: str | None = Field(None, description="follow_up: the contact's note (cut to 80 characters).")
    due_in_days: int | None = Field(None, description="follow_up: days until due; negative when overdue.")
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="An alert's figures (the event's payload), e.g. heat_alert's weekly.",
    )


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
