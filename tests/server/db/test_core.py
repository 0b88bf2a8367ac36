"""`core`: statements built once run on the session's connection, after what the session holds is flushed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.session import core
from server.db.tables import Store
from server.stores.repository import store_exists


def test_a_core_statement_sees_rows_the_session_has_not_flushed_yet(session: Session) -> None:
    pending = Store(code="PENDING-1", name="Not flushed yet")
    session.add(pending)
    assert "PENDING-1" in core(session).execute(select(Store.code)).scalars().all()
    assert pending.id is not None and store_exists(session, pending.id)
    assert not store_exists(session, pending.id + 1000)
    session.rollback()
    assert not store_exists(session, pending.id)
