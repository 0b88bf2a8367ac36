"""Engine and session factory; the per-request session dependency lives in `server.core.deps`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from server.core.errors import ConfigurationError
from server.db.checkpoint import AUTOCHECKPOINT_PAGES


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`, with SQLite tuned for a single-store server (WAL, foreign keys on)."""
    try:
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                # Keep a connection (and its page cache) per worker thread instead of reopening: an
                # opened connection starts with a cold cache and runs the pragmas again.
                kwargs |= {"pool_size": 20, "max_overflow": 20}
        else:
            kwargs["pool_pre_ping"] = True
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigurationError(
            f"AISLE_DATABASE_URL {_safe(url)!r} cannot be used: {exc}. Expected e.g. "
            "'sqlite:///path/aisle.db' or 'postgresql+psycopg://user:password@host:5432/aisle'"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint_inside_transaction)
    return engine


def _sqlite_savepoint_inside_transaction(conn: Connection, _name: str) -> None:
    """Open the write transaction before a SAVEPOINT that would otherwise be the outermost one.

    pysqlite opens a transaction only before an INSERT/UPDATE/DELETE, so a SAVEPOINT after reads alone
    starts a transaction of its own and its RELEASE commits: a sale booked in a nested block would be
    committed before its points were written, and a crash in between lost them.
    """
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The server checkpoints in the background (server.db.checkpoint); a request rarely has to.
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.close()


def check_connection(engine: Engine) -> None:
    """Connect once, turning a refused connection or a bad password into one readable sentence."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigurationError(
            f"cannot connect to the database at {_safe(str(engine.url))}: {reason}"
        ) from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def core(session: Session) -> Connection:
    """The session's connection, for a statement built once at import and run through Core.

    Keying and adapting a statement built per call costs SQLAlchemy more than the indexed read it runs
    (docs/performance.md); a module-level statement run on the connection skips that and the ORM
    layer. Pending ORM changes are flushed first, as `session.execute` would.
    """
    session.flush()
    return session.connection()


_LOCK_MEMBER = text("SELECT id FROM members WHERE id = :member_id FOR UPDATE")


def serialise_member(session: Session, member_id: int | None = None) -> bool:
    """Serialise this unit of work with every other one that writes the member's balances.

    Call it before reading a balance, a quota or a returnable quantity that the unit of work will change.
    SQLite ignores `SELECT … FOR UPDATE`, so there the transaction takes SQLite's write lock at once
    (BEGIN IMMEDIATE): whatever it reads next is the newest state and nobody else can write until it
    commits. On PostgreSQL the member's row is locked until commit; reads after it see every
    transaction that committed before. Returns False when the member does not exist (PostgreSQL).
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        # A transaction already open here has written, so it holds the write lock already.
        if dbapi is not None and not dbapi.in_transaction:
            dbapi.execute("BEGIN IMMEDIATE")
        return True
    if member_id is None:
        return True
    return conn.execute(_LOCK_MEMBER, {"member_id": member_id}).first() is not None


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work outside a request: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
