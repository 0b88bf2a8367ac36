"""An interrupted import, run again, ends with exactly what one uninterrupted import stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from server.db import migrate
from server.db.session import make_engine
from server.db.tables import ImportRun
from server.importer import writer
from server.importer.service import import_online_retail
from tests.server.importer.conftest import counts, synthetic_rows, write_csv

pytestmark = pytest.mark.usefixtures("small_batches")  # several commits even for small files


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, Any]:
    """What one uninterrupted import of the synthetic file stores (in a separate SQLite file)."""
    ref = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate.upgrade(ref)
    summary = import_online_retail(ref, write_csv(tmp_path / "full-ref.csv", synthetic_rows()))
    assert summary.cancellations_linked > 3 and summary.rejected == 0
    totals = counts(ref)
    ref.dispose()
    return totals


def test_first_half_then_whole_file(engine: Engine, tmp_path: Path, reference: dict[str, Any]) -> None:
    rows = synthetic_rows()
    numbers = list(dict.fromkeys(row[0] for row in rows))
    first_half = set(numbers[: len(numbers) // 2])
    half = write_csv(tmp_path / "half.csv", [row for row in rows if row[0] in first_half])
    first = import_online_retail(engine, half)
    assert first.transactions_added == len(first_half)

    rest = import_online_retail(engine, write_csv(tmp_path / "full.csv", rows))
    assert rest.transactions_added == len(numbers) - len(first_half)
    assert rest.already_imported == len(first_half)
    assert counts(engine) == reference


def test_crash_between_batches_then_rerun(
    engine: Engine, tmp_path: Path, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "full.csv", synthetic_rows())
    real_write = writer.InvoiceWriter.write
    calls = {"n": 0}

    def write_then_crash(self: writer.InvoiceWriter, invoices: list[Any]) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the clerk pressed Ctrl-C during the fourth batch
        return real_write(self, invoices)

    monkeypatch.setattr(writer.InvoiceWriter, "write", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        import_online_retail(engine, path)
    partial = counts(engine)
    assert 0 < partial["transactions"] < reference["transactions"]  # three batches committed

    monkeypatch.setattr(writer.InvoiceWriter, "write", real_write)
    rerun = import_online_retail(engine, path)
    assert rerun.transactions_added == reference["transactions"] - partial["transactions"]
    assert (rerun.members_added, rerun.products_added, rerun.stores_added) == (0, 0, 0)
    assert counts(engine) == reference
    with engine.connect() as conn:
        statuses = [run.summary["status"] for run in conn.execute(select(ImportRun).order_by(ImportRun.id))]
    assert statuses == ["interrupted", "done"]
