"""The SQLite log is folded into the database in the background while the server runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from server.db.checkpoint import AUTOCHECKPOINT_PAGES, background_checkpoints, checkpoint
from server.db.session import make_engine

HANG_GUARD = 120.0


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == AUTOCHECKPOINT_PAGES
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "y" * 1000} for _ in range(500)])
    database = tmp_path / "a.db"
    assert database.stat().st_size < 100_000  # the rows are still in the log, not the database file

    async def run() -> None:
        async with background_checkpoints(engine, seconds=0.05) as checkpointed:
            assert checkpointed is not None, "no background checkpoints for a SQLite file"
            try:  # the limit only turns a hang into a failure; the pass itself comes after 0.05 s
                await asyncio.wait_for(checkpointed.wait(), HANG_GUARD)
            except TimeoutError:
                raise AssertionError(f"no background checkpoint finished in {HANG_GUARD:g} s") from None

    asyncio.run(run())
    assert database.stat().st_size > 500_000  # the background checkpoint copied them in
    logged, copied = checkpoint(engine)
    assert logged == copied
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 500
    engine.dispose()


def test_no_checkpoints_for_an_in_memory_database() -> None:
    engine = make_engine("sqlite://")

    async def run() -> asyncio.Event | None:
        async with background_checkpoints(engine, seconds=0.01) as checkpointed:
            return checkpointed

    assert asyncio.run(run()) is None  # no checkpointing task was started
    engine.dispose()
