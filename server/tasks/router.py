"""GET /tasks (a consultant's task list) and POST /tasks/done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.tasks import done, service
from server.tasks.schemas import TaskDone, TaskDoneRead, TaskListRead, TaskRead

router = APIRouter(prefix="/tasks", tags=["tasks"])


def _tasks(items: list[service.Task]) -> list[TaskRead]:
    return [TaskRead(**vars(t)) for t in items]


@router.get("")
def task_list(
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    staff_id: Annotated[
        Id | None, Query(description="Whose list (default: yours); managers see their store's staff.")
    ] = None,
) -> TaskListRead:
    """Your clients, dormant clients to reach, unread alerts and follow-ups due within a week."""
    found = service.tasks_for(session, caller, staff_id, now)
    return TaskListRead(
        staff_id=found.staff_id,
        my_clients=_tasks(found.my_clients),
        dormant=_tasks(found.dormant),
        alerts=_tasks(found.alerts),
        follow_ups=_tasks(found.follow_ups),
    )


@router.post(
    "/done", status_code=status.HTTP_201_CREATED, responses={200: {"description": "A replayed key."}}
)
def task_done(
    body: TaskDone, caller: CurrentStaff, session: SessionDep, now: NowDep, response: Response
) -> TaskDoneRead:
    """Mark a follow-up, alert or dormant client done; replaying the same key changes nothing."""
    result = done.complete(session, caller, body.ref, body.idempotency_key, now)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    row = result.completion
    return TaskDoneRead(
        ref=row.ref,
        kind=result.kind,
        staff_id=row.staff_id,
        done_at=row.done_at,
        idempotency_key=row.idempotency_key,
    )
