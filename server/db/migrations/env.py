"""Alembic environment: uses the engine handed over by `server.db.migrate`, or the settings' URL."""

from __future__ import annotations

from alembic import context

from server.db import tables  # noqa: F401  (registers every table on Base.metadata)
from server.db.base import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from server.config import get_settings
    from server.db.session import make_engine

    engine = make_engine(get_settings().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
