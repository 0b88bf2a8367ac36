"""How long the replenishment sweep takes on a synthetic SQLite chain (used by bench/replenishment.py).

Run alone: python bench/replenishment_scale.py [--members 100000]. Each member buys 2 to 6 times over the
last 400 days, two lines a visit from 2,000 products, one in ten of their favourites rebought on a cycle;
one sale in fifty is returned. Prints one JSON line: {"members", "lines", "sweep_s", "events", ...}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from server.automations.replenishment import ReplenishParams  # noqa: E402
from server.automations.replenishment_sweep import sweep_replenishment  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine  # noqa: E402
from server.db.tables import (  # noqa: E402
    AutomationEvent,
    Member,
    Product,
    Store,
    Transaction,
    TransactionLine,
)

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
PRODUCTS = 2_000


def _fill(url: str, members: int, seed: int) -> int:
    """The chain's members and their sales, written in bulk; returns the number of sale lines."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    lines = 0
    with engine.begin() as conn:
        conn.execute(insert(Store), [{"code": "S1", "name": "Store 1"}])
        conn.execute(
            insert(Product), [{"sku": f"P{i:05d}", "name": f"Product {i}"} for i in range(1, PRODUCTS + 1)]
        )
        conn.execute(
            insert(Member), [{"name": f"M{i}", "joined_on": date(2024, 1, 1)} for i in range(1, members + 1)]
        )
        txn_id = line_id = 0
        txns: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for member in range(1, members + 1):
            favourite = rng.randrange(1, PRODUCTS + 1)
            cycle = rng.choice((14, 30, 45, 60, 90))
            day = rng.randrange(5, 400)
            for _ in range(rng.randrange(2, 7)):
                txn_id += 1
                at = NOW - timedelta(days=day, hours=rng.randrange(1, 12))
                txns.append({"id": txn_id, "store_id": 1, "member_id": member, "occurred_at": at})
                for n, product in enumerate((favourite, rng.randrange(1, PRODUCTS + 1)), start=1):
                    line_id += 1
                    rows.append(
                        {"id": line_id, "transaction_id": txn_id, "line_no": n, "product_id": product,
                         "quantity": 1, "unit_price": 1, "amount": 1}
                    )  # fmt: skip
                if rng.random() < 0.02:
                    txn_id += 1
                    line_id += 1
                    txns.append({**txns[-1], "id": txn_id, "kind": "return"})
                    rows.append(
                        {"id": line_id, "transaction_id": txn_id, "line_no": 1, "product_id": favourite,
                         "quantity": -1, "unit_price": 1, "amount": -1, "original_line_id": line_id - 2}
                    )  # fmt: skip
                day = max(day - cycle - rng.randrange(-5, 6), 0) if rng.random() < 0.9 else rng.randrange(400)
            if len(rows) > 50_000:
                conn.execute(insert(Transaction), txns)
                conn.execute(insert(TransactionLine), rows)
                lines += len(rows)
                txns, rows = [], []
        if rows:
            conn.execute(insert(Transaction), txns)
            conn.execute(insert(TransactionLine), rows)
            lines += len(rows)
    engine.dispose()
    return lines


def time_sweep(members: int, params: ReplenishParams, seed: int = 0) -> dict[str, Any]:
    """Build a chain of `members` on SQLite and time one sweep, then a second (which writes nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sweep.db'}"
        lines = _fill(url, members, seed)
        engine = make_engine(url)
        timings = []
        written = []
        for _ in range(2):
            started = time.perf_counter()
            with Session(engine) as session, session.begin():
                written.append(sweep_replenishment(session, NOW, params))
            timings.append(round(time.perf_counter() - started, 2))
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(AutomationEvent))
        engine.dispose()
    return {
        "backend": "sqlite",
        "members": members,
        "lines": lines,
        "sweep_s": timings[0],
        "second_sweep_s": timings[1],
        "events": written[0],
        "second_sweep_events": written[1],
        "events_stored": stored,
        "s_per_100k_lines": round(timings[0] / lines * 100_000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(time_sweep(args.members, ReplenishParams())))


if __name__ == "__main__":
    main()
