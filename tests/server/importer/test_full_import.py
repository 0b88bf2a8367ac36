"""The whole development file into SQLite: the totals the rest of Aisle builds on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.db import migrate
from server.db.session import make_engine
from server.db.tables import Member, Product, Store, Transaction, TransactionLine
from server.importer.service import import_online_retail


@pytest.mark.slow
def test_development_file(dev_data: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    migrate.upgrade(engine)
    summary = import_online_retail(engine, dev_data)

    assert summary.lines_read == 460_590
    assert summary.rejected == 0  # the file's oddities are all real data: kept, never rejected
    assert summary.lines_added == 460_590
    assert (summary.stores_added, summary.products_added, summary.members_added) == (35, 4054, 3502)
    assert summary.transactions_added == 21_249
    assert summary.cancellations_linked > 5_000
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Transaction.kind, func.count()).group_by(Transaction.kind)).all())
        anonymous = conn.scalar(
            select(func.count()).where(Transaction.member_id.is_(None), Transaction.kind == "sale")
        )
        assert conn.scalar(select(func.count()).select_from(Store)) == 35
        assert conn.scalar(select(func.count()).select_from(Member)) == 3502
        non_merch = set(conn.execute(select(Product.sku).where(Product.is_merchandise.is_(False))).scalars())
        other = conn.scalar(select(func.count()).where(Product.category == "other"))
        linked = conn.scalar(select(func.count()).where(TransactionLine.original_line_id.is_not(None)))
    assert kinds["return"] > 3_000 and kinds["adjustment"] > 1_000 and kinds["sale"] > 15_000
    assert anonymous > 1_000
    assert {"POST", "DOT", "M", "D", "BANK CHARGES", "AMAZONFEE", "CRUK", "C2", "B"} <= non_merch
    assert other < 4054 * 0.1  # the categoriser places nine products in ten
    assert linked == summary.cancellations_linked
    # Same file again: nothing new.
    again = import_online_retail(engine, dev_data)
    assert (again.transactions_added, again.lines_added, again.members_added) == (0, 0, 0)
    engine.dispose()
