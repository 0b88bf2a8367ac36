"""The data directory is 0700 and the database, its WAL and the key file 0600, new or found loose."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from server.config import Settings
from server.core.context import AppContext
from server.db import migrate


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most accounts have (022), under which files were created world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def settings_in(data_dir: Path) -> Settings:
    """SQLite in the data directory and the key file beside it: the defaults of `aisle serve`."""
    return Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]


def test_a_fresh_data_directory_is_created_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    context = AppContext.from_settings(settings_in(data))
    try:
        migrate.upgrade(context.engine)
        with context.engine.connect() as conn:  # open: the WAL and shared-memory files exist
            conn.execute(text("SELECT count(*) FROM members"))
            files = [data / n for n in ("aisle.db", "aisle.db-wal", "aisle.db-shm", "secret.key")]
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(data) == 0o700
    finally:
        context.engine.dispose()


def test_a_loose_data_directory_is_tightened_at_start_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "secret.key").write_text("0123456789abcdef0123456789abcdef")
    (data / "secret.key").chmod(0o644)
    # A database left by an earlier version, still open (its WAL beside it) when the server starts.
    earlier = sqlite3.connect(data / "aisle.db")
    try:
        earlier.execute("PRAGMA journal_mode=WAL")
        earlier.execute("CREATE TABLE notes (note TEXT)")
        earlier.execute("INSERT INTO notes VALUES ('x')")
        earlier.commit()
        loose = [data / n for n in ("aisle.db", "aisle.db-wal", "aisle.db-shm", "secret.key")]
        assert all(mode(f) == 0o644 for f in loose) and mode(data) == 0o755
        context = AppContext.from_settings(settings_in(data))
        context.engine.dispose()
        assert {f.name: mode(f) for f in loose} == {f.name: 0o600 for f in loose}
        assert mode(data) == 0o700
    finally:
        earlier.close()


def test_a_database_outside_the_data_directory_is_private_its_folder_only_when_new(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    for folder in (tmp_path / "new", shared):
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{folder / 'aisle.db'}",
            secret_key=SecretStr("a-secret-from-the-environment-0123"),
            _env_file=None,  # type: ignore[call-arg]
        )
        AppContext.from_settings(settings).engine.dispose()
        assert mode(folder / "aisle.db") == 0o600
    # A folder made for the database is private; one that was there (maybe shared) is left as it was.
    assert (mode(tmp_path / "new"), mode(shared)) == (0o700, 0o755)
    # With AISLE_SECRET_KEY set and SQLite elsewhere no data directory (nor key file) is made at all.
    assert not (tmp_path / "data").exists()
