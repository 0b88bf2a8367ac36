"""The resources one server process holds: built once at start-up, reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.core.crypto import Keys, is_sealed
from server.core.files import secure_data_files
from server.db.session import check_connection, make_engine, make_session_factory

if TYPE_CHECKING:
    from server.recommendations.engine import RecommenderHolder


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: Keys
    recommender: RecommenderHolder | None = None  # built on first use (server.recommendations.engine)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> AppContext:
        """Connect to the database (failing with a readable message) and derive the keys.

        The data directory, the SQLite database and the key file are made private (0700/0600) first,
        before the first connection creates the database file with the process's umask.
        """
        secure_data_files(settings, engine.url if engine is not None else None)
        engine = engine or make_engine(settings.resolved_database_url, echo=settings.sql_echo)
        keys = Keys.from_master(settings.master_secret())
        check_connection(engine)
        sessions = make_session_factory(engine)
        # Sealed notes and chat text are opened with the keys of the session that reads them.
        sessions.configure(info={KEYS_INFO: keys})
        return cls(settings=settings, engine=engine, sessions=sessions, keys=keys)


KEYS_INFO = "aisle_keys"


def keys_of(session: Session) -> Keys:
    """The keys of the context whose session factory made `session` (for sealed text)."""
    keys = session.info.get(KEYS_INFO)
    if not isinstance(keys, Keys):
        raise RuntimeError("this session was not made by an AppContext: it holds no keys for sealed text")
    return keys


def seal_text(session: Session, text: str, purpose: str) -> str:
    """`text` sealed with the keys of the session that will store it (see Keys.seal)."""
    return keys_of(session).seal(text, purpose)


def open_text(session: Session, value: str, purpose: str) -> str:
    """A stored text in clear: sealed ones opened with the session's keys, others as they are."""
    return keys_of(session).unseal(value, purpose) if is_sealed(value) else value
