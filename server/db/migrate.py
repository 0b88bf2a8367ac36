"""Run Alembic migrations programmatically (the CLI's `aisle db ...` and the tests use this)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

if TYPE_CHECKING:
    from server.config import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointed at our migrations, sharing `engine`'s connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to `revision` ("base" drops every table)."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_database(settings: Settings, *, upgrade_schema: bool = True) -> Engine:
    """The configured database, connected and (unless told not to) at the newest schema.

    What every command that reads or writes tables does first, as `aisle serve` does: a new database
    gets its tables instead of failing on the first query. A bad URL or a refused connection is a
    ConfigurationError with one readable sentence.
    """
    from server.core.files import secure_data_files
    from server.db.session import check_connection, make_engine

    secure_data_files(settings)
    engine = make_engine(settings.resolved_database_url, echo=settings.sql_echo)
    check_connection(engine)
    if upgrade_schema:
        upgrade(engine)
    return engine
