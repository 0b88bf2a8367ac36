"""GET /stores, GET /stores/{id}, POST /stores."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.stores import service
from server.stores.schemas import StoreCreate, StoreRead

router = APIRouter(prefix="/stores", tags=["stores"])


@router.get("")
def list_stores(caller: CurrentStaff, session: SessionDep, page: PageDep) -> Page[StoreRead]:
    """The stores the signed-in staff member can see (all of them for chain-wide roles)."""
    rows, total = service.list_stores_as(session, caller, page)
    items = [StoreRead.model_validate(s) for s in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{store_id}")
def get_store(store_id: Id, caller: CurrentStaff, session: SessionDep) -> StoreRead:
    """One store the caller holds a role in."""
    return StoreRead.model_validate(service.get_store_as(session, caller, store_id))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_store(body: StoreCreate, caller: CurrentStaff, session: SessionDep) -> StoreRead:
    """Open a store (chain-wide admin only); 409 when the code is taken."""
    return StoreRead.model_validate(service.create_store_as(session, caller, **body.model_dump()))
