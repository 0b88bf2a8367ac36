"""The resources one server process holds: built once at start-up, reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.core.crypto import Keys
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
        """Connect to the database (failing with a readable message) and derive the keys."""
        engine = engine or make_engine(settings.resolved_database_url, echo=settings.sql_echo)
        check_connection(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            keys=Keys.from_master(settings.master_secret()),
        )
