"""The Alembic migrations build exactly the schema the ORM declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from server.db import migrate, tables  # noqa: F401
from server.db.base import Base
from server.db.session import make_engine


def test_upgrade_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert migrate.current_revision(engine) is not None


def test_downgrade_to_base_and_back(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    assert "transaction_lines" in inspect(eng).get_table_names()
    migrate.downgrade(eng, "base")
    assert migrate.current_revision(eng) is None
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(eng)
    assert {"members", "products", "transactions", "staff_roles"} <= set(inspect(eng).get_table_names())
    eng.dispose()


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == before
