"""The `aisle` command: schema commands, and one clear line (not a traceback) for bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.db import migrate
from server.db.session import make_engine


def aisle(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from server.cli import main; main()"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")} | env
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_and_current_on_a_new_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "folder" / "aisle.db"
    env = {"AISLE_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200"}
    assert "empty" in aisle("db", "current", env=env, cwd=tmp_path).stdout
    upgraded = aisle("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert aisle("db", "current", env=env, cwd=tmp_path).stdout.strip() == migrate.current_revision(
        make_engine(f"sqlite:///{db}")
    )
    assert db.exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AISLE_DATABASE_URL": "aisle.db"}, "is not a database URL"),
        ({"AISLE_TOKEN_MINUTES": "0"}, "AISLE_TOKEN_MINUTES"),
        ({"AISLE_DATABASE_URL": "postgresql://aisle:pw@127.0.0.1:9/aisle"}, "cannot connect to the database"),
    ],
)
def test_bad_settings_give_one_clear_error(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = aisle("db", "current", env=env | {"COLUMNS": "200"}, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "pw@" not in result.stderr
