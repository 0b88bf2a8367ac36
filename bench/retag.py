"""How long a full tagging pass takes over 100,000 generated members (target: under 30 s).

Run: python bench/retag.py [--members N] [--url URL]. Fills a fresh database (a temporary SQLite file unless
--url names an empty one) with generated members, products, sales, returns and interactions, saves the
issue's example rules, then times `server.tags.service.retag` for everyone, commit included.
Prints one JSON line: {"members", "seconds", "transactions", "tags_added", "backend", ...}.
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

from sqlalchemy import Engine, func, insert, select  # noqa: E402

from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from server.db.tables import (  # noqa: E402
    Interaction,
    Member,
    MemberTag,
    Product,
    Store,
    Transaction,
    TransactionLine,
)
from server.tags.service import create_rule, retag  # noqa: E402

NOW = datetime(2024, 6, 30, 2, tzinfo=UTC)
CATEGORIES = [f"category-{i:02d}" for i in range(24)]
RULES: dict[str, Any] = {
    "high value": {
        "all": [
            {"fact": "spend_90d", "op": "gt", "value": 5000},
            {"fact": "visits_90d", "op": "gt", "value": 3},
        ]
    },
    "dormant": {"fact": "days_since_last_purchase", "op": "gt", "value": 180},
    "price-sensitive": {"fact": "coupon_redemption_rate", "op": "gt", "value": 0.8},
    "birthday this month": {"fact": "is_birthday_month", "op": "eq", "value": True},
    "cooling regular": {
        "all": [
            {"fact": "visits_365d", "op": "gte", "value": 6},
            {"fact": "heat_index", "op": "lt", "value": 30},
        ]
    },
}


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def generate(engine: Engine, members: int, seed: int) -> int:
    """Insert the generated shop; returns the number of transactions."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(insert(Store), [{"code": "BENCH", "name": "Bench store"}])
        store_id = conn.scalar(select(Store.id))
        products = [
            {
                "sku": f"B{i:05d}",
                "name": f"Product {i}",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "price": round(rng.uniform(2, 400), 2),
                "first_seen_at": NOW - timedelta(days=rng.randint(0, 900)),
            }
            for i in range(3000)
        ]
        conn.execute(insert(Product), products)
        prices = [(pid, price) for pid, price in conn.execute(select(Product.id, Product.price))]
        people = [
            {
                "name": f"Member {i}",
                "joined_on": date(2020, 1, 1) + timedelta(days=rng.randint(0, 1600)),
                "birthday": date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000))
                if rng.random() < 0.7
                else None,
                "gender": rng.choice(("female", "male", "unknown")),
            }
            for i in range(members)
        ]
        for part in _chunks(people):
            conn.execute(insert(Member), part)
        member_ids = list(conn.scalars(select(Member.id)))
    txn_rows, plans = [], []
    for member_id in member_ids:
        frequency = rng.choice((0, 1, 2, 4, 8, 16))
        coupon_taste = rng.random()
        for _ in range(frequency):
            when = NOW - timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1440))
            basket = [(pid, rng.randint(1, 4), price) for pid, price in rng.sample(prices, rng.randint(1, 3))]
            total = sum(q * float(p) for _, q, p in basket)
            coupon = "SAVE10" if rng.random() < coupon_taste else None
            txn_rows.append(
                {
                    "store_id": store_id,
                    "member_id": member_id,
                    "occurred_at": when,
                    "total_amount": round(total, 2),
                }
                | {"kind": "sale", "coupon_code": coupon}
            )
            plans.append(basket)
    with engine.begin() as conn:
        for part in _chunks(txn_rows):
            conn.execute(insert(Transaction), part)
        ids = list(conn.scalars(select(Transaction.id).order_by(Transaction.id)))
        lines = [
            {"transaction_id": tid, "line_no": no, "product_id": pid, "quantity": q, "unit_price": p}
            | {"amount": round(q * float(p), 2)}
            for tid, basket in zip(ids, plans, strict=True)
            for no, (pid, q, p) in enumerate(basket, 1)
        ]
        for part in _chunks(lines):
            conn.execute(insert(TransactionLine), part)
        talks = [
            {
                "member_id": rng.choice(member_ids),
                "channel": "call",
                "occurred_at": NOW - timedelta(days=rng.randint(0, 200)),
            }
            for _ in range(members // 2)
        ]
        for part in _chunks(talks):
            conn.execute(insert(Interaction), part)
    return len(txn_rows)


def main() -> None:
    """Generate, then time one full tagging pass; print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument(
        "--url", default="", help="An empty database to fill (default: a temporary SQLite file)."
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        transactions = generate(engine, args.members, args.seed)
        generated = time.perf_counter() - started
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            for name, rule in RULES.items():
                create_rule(session, name, rule, NOW)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            result = retag(session, NOW)
        seconds = time.perf_counter() - started
        with session_scope(sessions) as session:
            tagged = session.scalar(select(func.count()).select_from(MemberTag))
        engine.dispose()
    print(
        json.dumps(
            {
                "members": result.members,
                "seconds": round(seconds, 2),
                "transactions": transactions,
                "rules": len(RULES),
                "tags_added": result.added,
                "tags_stored": tagged,
                "backend": engine.dialect.name,
                "generate_seconds": round(generated, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
