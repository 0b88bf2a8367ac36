"""The data directory and the files in it are the server's alone: directory 0700, files 0600.

The SQLite database (and its -wal/-shm beside it) holds members' names, birthdays and purchases, and the
key file that opens their phone numbers, notes and chats lies in the same directory unless
AISLE_SECRET_KEY comes from elsewhere. Created with the usual umask they were 0644, readable by every
account on the machine. They are created private, and an existing data directory is tightened at
start-up.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from server.config import Settings

logger = logging.getLogger(__name__)
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
KEY_FILE = "secret.key"
# The files SQLite keeps beside a database (it gives new ones the database file's mode).
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL; None for another database, in-memory or a `file:` URI."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # make_engine explains a bad URL
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def private_dir(path: Path) -> None:
    """Create `path` (with its parents) and make it 0700, or tighten an existing one to 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create `path` empty and 0600 if it is missing, or tighten an existing one to 0600."""
    # No O_TRUNC: an existing database is only re-moded. An empty file is a valid, empty SQLite database.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    _tighten(path, PRIVATE_FILE)


def secure_data_files(settings: Settings, url: str | URL | None = None) -> None:
    """Before the engine first connects: the data directory 0700, the key file and SQLite files 0600.

    `url` is the database in use (default: the settings'). A SQLite database outside the data directory
    gets a private directory only when it is created here; an existing one may be shared, so only the
    database's own files are tightened there.
    """
    database = sqlite_file(url if url is not None else settings.resolved_database_url)
    data_dir = settings.data_dir
    if data_dir.exists():
        private_dir(data_dir)
        key = data_dir / KEY_FILE
        if key.exists():
            _tighten(key, PRIVATE_FILE)
    if database is None:
        return
    if database.parent.resolve() == data_dir.resolve() or not database.parent.exists():
        private_dir(database.parent)
    private_file(database)
    for suffix in SQLITE_SIDECARS:
        sidecar = database.with_name(database.name + suffix)
        if sidecar.exists():
            _tighten(sidecar, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    if os.name != "posix":
        return  # Windows keeps its own ACLs; chmod there only sets read-only
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError as exc:  # owned by another account: say so, the server can still run
        logger.warning("cannot make %s private (mode %o): %s", path, mode, exc)
