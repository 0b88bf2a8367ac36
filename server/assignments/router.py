"""Consultant assignments: /members/{id}/consultants, /stores/{id}/consultants, /staff/{id}/clients."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from server.assignments import service
from server.assignments.schemas import (
    AssignmentRead,
    AssignmentUpdate,
    ClientRead,
    Position,
    StoreConsultantRead,
)
from server.auth.deps import CurrentStaff
from server.clients.service import Client
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep

router = APIRouter(tags=["consultants"])


def _read(a: service.Assigned) -> AssignmentRead:
    row = a.assignment
    return AssignmentRead(
        id=row.id,
        member_id=row.member_id,
        staff_id=row.staff_id,
        name=a.staff_name,
        position=row.position,  # type: ignore[arg-type]
        assigned_at=row.assigned_at,
        assigned_by_id=row.assigned_by_id,
        ended_at=row.ended_at,
    )


def _client(c: Client) -> ClientRead:
    return ClientRead(
        id=c.row.member_id,
        name=c.row.name,
        tier=c.tier,
        position=c.row.position,  # type: ignore[arg-type]
        last_purchase_on=c.row.last_purchase_on,
        days_since_last_purchase=c.days_since_last_purchase,
        dormant=c.dormant,
    )


@router.get("/members/{member_id}/consultants")
def member_consultants(member_id: Id, caller: CurrentStaff, session: SessionDep) -> list[AssignmentRead]:
    """The member's active consultants, primary first (whoever may open the member)."""
    return [_read(a) for a in service.member_consultants(session, caller, member_id)]


@router.put(
    "/members/{member_id}/consultants/{position}",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already the consultant there: nothing changed."}},
)
def assign(
    member_id: Id,
    position: Position,
    body: AssignmentUpdate,
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> AssignmentRead:
    """Make a staff member the primary or secondary consultant (the home store's manager or an admin)."""
    done = service.assign(session, caller, member_id, position, body.staff_id, now)
    if not done.created:
        response.status_code = status.HTTP_200_OK
    return _read(done)


@router.delete("/members/{member_id}/consultants/{position}")
def unassign(
    member_id: Id, position: Position, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> AssignmentRead:
    """End the member's primary or secondary assignment; the ended row is returned and kept as history."""
    return _read(service.unassign(session, caller, member_id, position, now))


@router.get("/stores/{store_id}/consultants")
def store_consultants(
    store_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> list[StoreConsultantRead]:
    """The store's consultants and managers with their client and open task counts (manager or admin)."""
    return [
        StoreConsultantRead(
            staff_id=c.staff.id,
            login=c.staff.login,
            name=c.staff.display_name,
            role=c.role,  # type: ignore[arg-type]
            store_id=c.store.id,
            store_name=c.store.name,
            client_count=c.client_count,
            open_task_count=c.open_task_count,
        )
        for c in service.store_consultants(session, caller, store_id, now)
    ]


@router.get("/staff/{staff_id}/clients")
def staff_clients(
    staff_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep, page: PageDep
) -> Page[ClientRead]:
    """A consultant's members, primary clients first (themselves, a manager of their store, or an admin)."""
    found, total = service.staff_clients(session, caller, staff_id, now, page)
    return Page(items=[_client(c) for c in found], total=total, limit=page.limit, offset=page.offset)
