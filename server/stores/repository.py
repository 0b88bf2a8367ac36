"""SQL for stores."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.db.session import core
from server.db.tables import Store

_EXISTS = select(Store.id).where(Store.id == bindparam("store_id"))


def get_store(session: Session, store_id: int) -> Store | None:
    """The store with this id, if any."""
    return session.get(Store, store_id)


def store_exists(session: Session, store_id: int) -> bool:
    """Whether a store has this id (one indexed read, no Store object loaded: publishing checks it)."""
    return core(session).execute(_EXISTS, {"store_id": store_id}).first() is not None


def store_by_code(session: Session, code: str) -> Store | None:
    """The store with this code, if any."""
    return session.scalars(select(Store).where(Store.code == code)).one_or_none()


def list_stores(
    session: Session, store_ids: Collection[int] | None, *, limit: int, offset: int
) -> tuple[list[Store], int]:
    """Stores ordered by code, restricted to `store_ids` unless None; with the total count."""
    query = select(Store)
    if store_ids is not None:
        query = query.where(Store.id.in_(list(store_ids)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Store.code, Store.id).limit(limit).offset(offset)).all()
    return list(rows), total


def missing_store_ids(session: Session, store_ids: Collection[int]) -> set[int]:
    """Those of `store_ids` that name no store."""
    wanted = set(store_ids)
    if not wanted:
        return set()
    found = session.scalars(select(Store.id).where(Store.id.in_(wanted))).all()
    return wanted - set(found)


def add_store(session: Session, store: Store) -> Store:
    """Insert a store and give it its id."""
    session.add(store)
    session.flush()
    return store
