"""Stores: who sees which, and opening a new one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import require, require_any_role, visible_store_ids
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.pagination import PageParams
from server.db.tables import Staff, Store
from server.stores import repository


def create_store(
    session: Session,
    *,
    code: str,
    name: str,
    country: str = "",
    city: str = "",
    timezone: str = "UTC",
    currency: str = "GBP",
) -> Store:
    """Open a store; 409 when the code is taken."""
    code = code.strip()
    if not code or not name.strip():
        raise InvalidInput("a store needs a code and a name")
    if repository.store_by_code(session, code) is not None:
        raise Conflict(f"store code {code!r} is already used by another store")
    store = Store(
        code=code, name=name.strip(), country=country, city=city, timezone=timezone, currency=currency
    )
    return repository.add_store(session, store)


def create_store_as(session: Session, caller: Staff, **fields: str) -> Store:
    """Open a store on behalf of `caller`, who must be a chain-wide admin."""
    require(caller, {Role.ADMIN})
    return create_store(session, **fields)


def list_stores_as(session: Session, caller: Staff, page: PageParams) -> tuple[list[Store], int]:
    """The stores `caller` may see, one page of them, and how many there are."""
    require_any_role(caller)
    return repository.list_stores(session, visible_store_ids(caller), limit=page.limit, offset=page.offset)


def get_store_as(session: Session, caller: Staff, store_id: int) -> Store:
    """One store, if `caller` holds a role in it (403) and it exists (404)."""
    require(caller, store_id=store_id)
    store = repository.get_store(session, store_id)
    if store is None:
        raise NotFound(f"store {store_id} does not exist")
    return store


def require_stores_exist(session: Session, store_ids: set[int]) -> None:
    """InvalidInput (422) naming the ids among `store_ids` that are not stores."""
    missing = repository.missing_store_ids(session, store_ids)
    if missing:
        listed = ", ".join(str(i) for i in sorted(missing))
        raise InvalidInput(f"store {listed} does not exist")
