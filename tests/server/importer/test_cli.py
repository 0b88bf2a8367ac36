"""`aisle import online-retail` through Typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.config import get_settings
from tests.server.importer.conftest import SAMPLE, write_csv

pytestmark = pytest.mark.usefixtures("small_batches")  # several commits even for small files


@pytest.fixture
def configured(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point the CLI's settings at the test database; yields the data directory."""
    monkeypatch.setenv("AISLE_DATABASE_URL", db_url)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_json_summary(configured: Path, tmp_path: Path) -> None:
    rows = [*SAMPLE, ["536999", "X", "THING", "zero", "2011-01-01 09:00", "1.0", "", "United Kingdom"]]
    path = write_csv(tmp_path / "sample.csv", rows)
    result = CliRunner().invoke(app, ["import", "online-retail", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {
        k: summary[k] for k in ("lines_read", "transactions_added", "members_added", "products_added")
    } == {
        "lines_read": 13,
        "transactions_added": 10,
        "members_added": 2,
        "products_added": 9,
    }
    assert summary["rejected"] == 1
    reject_file = Path(summary["reject_file"])
    assert reject_file.parent == configured / "imports" and reject_file.exists()

    again = CliRunner().invoke(app, ["import", "online-retail", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 transactions" in again.stdout and "1 line rejected, see" in again.stdout


def test_bad_file_exits_with_the_reason(configured: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("just,some,notes\n")
    result = CliRunner().invoke(app, ["import", "online-retail", str(path), "--json"])
    assert result.exit_code == 2
    assert "not an Online Retail header" in result.stderr
