"""GET /staff, POST /staff, PATCH /staff/{id}."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.auth.deps import CurrentStaff
from server.auth.schemas import StaffRead
from server.core.bounds import Id
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.staff import service
from server.staff.schemas import StaffCreate, StaffUpdate

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("")
def list_staff(
    caller: CurrentStaff, session: SessionDep, page: PageDep, store_id: Id | None = None
) -> Page[StaffRead]:
    """A store's team (store manager or admin of it); without store_id, everyone (chain-wide admin)."""
    rows, total = service.list_staff_as(session, caller, store_id, page)
    items = [StaffRead.model_validate(s) for s in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_staff(body: StaffCreate, caller: CurrentStaff, session: SessionDep) -> StaffRead:
    """Create an account: admins anywhere; store managers only floor roles in their own store."""
    staff = service.create_staff_as(
        session,
        caller,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        roles=[(g.role, g.store_id) for g in body.roles],
        locale=body.locale,
    )
    return StaffRead.model_validate(staff)


@router.patch("/{staff_id}")
def update_staff(staff_id: Id, body: StaffUpdate, caller: CurrentStaff, session: SessionDep) -> StaffRead:
    """Rename, re-role, reset the password of, or deactivate an account (deactivating signs it out)."""
    staff = service.update_staff_as(
        session,
        caller,
        staff_id,
        display_name=body.display_name,
        active=body.active,
        roles=None if body.roles is None else [(g.role, g.store_id) for g in body.roles],
        locale=body.locale,
        password=body.password,
    )
    return StaffRead.model_validate(staff)
