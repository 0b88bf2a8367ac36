"""The `aisle` command: schema commands, and one clear line (not a traceback) for bad settings."""

from __future__ import annotations

import json
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


RETAIL_CSV = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom
536367,84879,ASSORTED COLOUR BIRD ORNAMENT,zero,2010-12-01 08:34:00,1.69,13047.0,United Kingdom
"""


def new_database(tmp_path: Path) -> dict[str, str]:
    """A data directory and a SQLite database that do not exist yet; a narrow terminal."""
    db = tmp_path / "data" / "aisle.db"
    return {
        "AISLE_DATA_DIR": str(tmp_path / "data"),
        "AISLE_DATABASE_URL": f"sqlite:///{db}",
        "COLUMNS": "60",
    }


def test_import_on_a_new_database_creates_the_schema_first(tmp_path: Path) -> None:
    source = tmp_path / "retail.csv"
    source.write_text(RETAIL_CSV)
    result = aisle("import", "online-retail", str(source), "--json", env=new_database(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["transactions_added"], summary["members_added"], summary["rejected"]) == (2, 1, 1)


@pytest.mark.parametrize("job", ["nightly", "backfill-loyalty"])
def test_jobs_on_a_new_database_create_the_schema_first(tmp_path: Path, job: str) -> None:
    result = aisle("jobs", job, env=new_database(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), dict)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["import", "online-retail", "{tmp}/missing.csv"], {}, "missing.csv does not exist"),
        (["import", "online-retail", "{tmp}"], {}, "is a folder, not a file"),
        (["import", "online-retail", "{tmp}/retail.csv", "--rejects", "/dev/null/r.csv"], {}, "/dev/null"),
        (["import", "online-retail", "{tmp}/retail.csv", "--timezone", "Mars/Base"], {}, "unknown time zone"),
        (
            ["import", "online-retail", "{tmp}/retail.csv"],
            {"AISLE_DATABASE_URL": "aisle.db"},
            "not a database URL",
        ),
        (["jobs", "nightly", "--at", "yesterday"], {}, "is not an ISO date"),
        (["jobs", "backfill-loyalty", "--at", "2011-13-01"], {}, "is not an ISO date"),
        (["jobs", "nightly"], {"AISLE_DATABASE_URL": "sqlite+nodriver:///x.db"}, "cannot be used"),
        (["demo", "--no-serve", "--data", "{tmp}/missing.csv"], {}, "no data file at"),
    ],
)
def test_user_mistakes_end_in_one_line_not_a_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    (tmp_path / "retail.csv").write_text(RETAIL_CSV)
    filled = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = aisle(*filled, env=new_database(tmp_path) | env, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the `aisle` app: (), ("demo",), ("db", "upgrade"), ..."""
    import typer

    from server.cli import app

    click_group = group if group is not None else typer.main.get_command(app)
    found = [path]
    for name, command in getattr(click_group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


def test_help_shows_no_value_after_a_flag() -> None:
    """`--generate`, `--serve / --no-serve` and `--help` take no value: no `<bool>` after them (issue 17)."""
    from typer.testing import CliRunner

    from server.cli import app

    runner = CliRunner()
    paths = _commands(None)
    assert ("demo",) in paths and ("jobs", "nightly") in paths and ("db", "upgrade") in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "160"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, (path, result.output)
        assert "--help" in result.output
    demo = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "160"}).output
    assert "--generate" in demo and "--no-serve" in demo
    assert "<int>" in demo  # an option that takes a value still says what kind
