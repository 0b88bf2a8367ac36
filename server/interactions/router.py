"""POST and GET /members/{id}/interactions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.interactions import service
from server.interactions.schemas import InteractionCreate, InteractionRead

router = APIRouter(prefix="/members/{member_id}/interactions", tags=["interactions"])


def _read(logged: service.Logged) -> InteractionRead:
    i = logged.interaction
    return InteractionRead(
        id=i.id,
        member_id=i.member_id,
        channel=i.channel,
        note=logged.note,
        occurred_at=i.occurred_at,
        follow_up_on=i.follow_up_on,
        staff_id=i.staff_id,
        staff_name=logged.staff_name,
        store_id=i.store_id,
        created_at=i.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"description": "A replayed key."}})
def log_interaction(
    member_id: Id,
    body: InteractionCreate,
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> InteractionRead:
    """Log a call, WeChat message, SMS, e-mail or face-to-face talk; replaying the same key stores once."""
    logged = service.log_interaction(session, caller, member_id, now=now, **body.model_dump())
    if logged.replayed:
        response.status_code = status.HTTP_200_OK
    return _read(logged)


@router.get("")
def list_interactions(
    member_id: Id, caller: CurrentStaff, session: SessionDep, page: PageDep
) -> Page[InteractionRead]:
    """The member's interactions, newest first."""
    found, total = service.member_interactions(session, caller, member_id, page)
    return Page(items=[_read(x) for x in found], total=total, limit=page.limit, offset=page.offset)
