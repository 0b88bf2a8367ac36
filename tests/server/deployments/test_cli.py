"""`aisle models ...` through typer's runner: tables, promotions, experiments and one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.cli import app
from server.config import get_settings
from server.db.tables import ModelDeployment
from tests.fixtures.factories import World
from tests.server.deployments.conftest import V1, V2, V3, V4, VERSIONS, write_version


@pytest.fixture
def aisle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str, engine: Engine
) -> Iterator[CliRunner]:
    """A runner whose `aisle` reads the test database and a models folder with the four versions."""
    monkeypatch.setenv("AISLE_DATABASE_URL", db_url)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("AISLE_SECRET_KEY", "test-secret-key-0123456789abcdef")
    for name, (created, recall) in VERSIONS.items():
        write_version(tmp_path / "cli-data" / "models", name, created, recall)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_list_compare_promote_and_rollback(aisle: CliRunner, world: World, session: Session) -> None:
    code, out = _run(aisle, "models", "promote", V1)
    assert code == 0 and f"chain: {V1}" in out, out
    code, out = _run(aisle, "models", "promote", V4, "--stores", f"{world.store_a.id}")
    assert code == 0 and f"store {world.store_a.id}: {V4}" in out, out

    code, out = _run(aisle, "models", "list")
    assert code == 0, out
    lines = {line.split()[1]: line for line in out.splitlines() if "aisle-2026" in line}
    assert list(lines) == [V4, V3, V2, V1]  # newest first
    assert "0.2200" in lines[V4] and "0.0550" in lines[V4] and f"store {world.store_a.id}" in lines[V4]
    assert "2010-12-01 .. 2011-12-09" in lines[V1] and "chain" in lines[V1]

    code, out = _run(aisle, "models", "compare", V1, V4)
    assert code == 0 and "recall@10" in out and "1.100" in out, out

    code, out = _run(aisle, "models", "rollback", "--stores", f"{world.store_a.id}")
    assert code == 2 and out.count("\n") == 1 and "nothing to roll back to" in out
    _run(aisle, "models", "promote", V2)
    code, out = _run(aisle, "models", "rollback")
    assert code == 0 and f"chain: {V1} (rolled back from {V2})" in out, out
    active = session.scalars(select(ModelDeployment.version).where(ModelDeployment.ended_at.is_(None))).all()
    assert sorted(active) == sorted([V1, V4])


def test_a_worse_version_is_refused_in_one_line_unless_forced(aisle: CliRunner, world: World) -> None:
    _run(aisle, "models", "promote", V1)
    code, out = _run(aisle, "models", "promote", V3)
    assert code == 2 and out.startswith("error:") and out.count("\n") == 1, out
    assert "0.1800" in out and "0.2000" in out
    code, out = _run(aisle, "models", "promote", V3, "--force")
    assert code == 0 and "forced" in out, out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["models", "promote", "nope"], "no model version 'nope'"),
        (["models", "promote", V1, "--stores", "one,two"], "is not a list of store ids"),
        (["models", "promote", V1, "--stores", "999999"], "no store 999999"),
        (["models", "compare", V1, "nope"], "no model version 'nope'"),
        (["models", "ab", "stop", "ab-1", "--keep", "C"], "neither A"),
        (["models", "ab", "report", "ab-1"], "no experiment 'ab-1'"),
    ],
)
def test_errors_are_one_line(aisle: CliRunner, world: World, args: list[str], reason: str) -> None:
    code, out = _run(aisle, *args)
    assert code == 2 and out.startswith("error:") and reason in out and out.count("\n") == 1, out


def test_an_experiment_from_start_to_report_to_stop(aisle: CliRunner, world: World) -> None:
    _run(aisle, "models", "promote", V1)
    code, out = _run(aisle, "models", "ab", "start", V4, "--share", "30")
    assert code == 0, out
    label = out.split()[1]
    assert label.startswith("ab-") and f"{V4} to 30% in {label}" in out
    code, out = _run(aisle, "models", "list")
    assert "chain (B 30%)" in out and "chain (A 70%)" in out, out
    code, out = _run(aisle, "models", "ab", "report", label)
    assert code == 0 and f"A {V1}, B {V4} (30%), running" in out and "too little shown" in out, out
    code, out = _run(aisle, "models", "ab", "stop", label, "--keep", "B")
    assert code == 0 and f"chain: {V4}" in out, out
    code, out = _run(aisle, "models", "ab", "report", label)
    assert code == 0 and "ended" in out, out
