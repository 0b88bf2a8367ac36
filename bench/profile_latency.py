"""How fast one member's 360° profile is built (target: p99 under 20 ms on SQLite for 500 lines).

Run: python bench/profile_latency.py [--data PATH] [--members N] [--runs N]. Builds a fresh SQLite file:
the Online Retail development data (imported, then loyalty caught up as of 2011-12-10 with the example tag
rules), generated members with a few sales each up to N members in all, and one member with 500 lines
(48 sales of 10 lines and 4 returns of 5, interactions, a consultant). Then it times
`server.profile.service.open_profile` (the endpoint's work: access check, every figure, the audit row,
the commit) for that member, and the bare SQL: the very statements and parameters the profile sent,
captured once and replayed with the sqlite3 module. Also the same profile over HTTP via TestClient.
Prints one JSON line: {"p50_ms", "p99_ms", "ratio_to_sql", "sql_p50_ms", "http_p50_ms", ...}.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import Engine, event, func, insert, select  # noqa: E402

from server.app import create_app  # noqa: E402
from server.auth.tokens import issue_token  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.clock import get_now  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, session_scope  # noqa: E402
from server.db.tables import (  # noqa: E402
    ConsultantAssignment,
    Interaction,
    Member,
    Product,
    Staff,
    StaffRole,
    Store,
    Transaction,
    TransactionLine,
)
from server.importer.service import import_online_retail  # noqa: E402
from server.jobs.catch_up import catch_up  # noqa: E402
from server.loyalty.service import apply_transaction  # noqa: E402
from server.profile.service import open_profile  # noqa: E402
from server.tags.examples import ensure_example_rules  # noqa: E402
from server.tags.service import retag_member  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
NOW = datetime(2011, 12, 10, 2, tzinfo=UTC)


def _rows(engine: Engine, model: type[Any], rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(model), rows[start : start + 20_000])


def generate_members(engine: Engine, total: int, seed: int) -> int:
    """Members up to `total`, each with 0 to 5 sales of 1 to 3 lines in 2011; the sales added."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Member)) or 0
        stores = list(conn.scalars(select(Store.id)))
        products = list(conn.execute(select(Product.id, Product.price).where(Product.price > 0)))
        first_id = (conn.scalar(select(func.max(Member.id))) or 0) + 1
    people = [
        {"name": f"Generated {i}", "home_store_id": rng.choice(stores), "joined_on": date(2010, 1, 1)}
        for i in range(max(total - have, 0))
    ]
    _rows(engine, Member, people)
    sales, baskets = [], []
    for member_id in range(first_id, first_id + len(people)):
        for _ in range(rng.randint(0, 5)):
            basket = [(p, rng.randint(1, 6), price) for p, price in rng.sample(products, rng.randint(1, 3))]
            when = datetime(2011, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 340 * 24 * 60))
            total_amount = sum(Decimal(str(price)) * q for _, q, price in basket)
            sales.append(
                {"store_id": rng.choice(stores), "member_id": member_id, "occurred_at": when}
                | {"kind": "sale", "total_amount": total_amount, "source": "bench"}
            )
            baskets.append(basket)
    _rows(engine, Transaction, sales)
    with engine.connect() as conn:
        ids = list(
            conn.scalars(select(Transaction.id).where(Transaction.source == "bench").order_by(Transaction.id))
        )
    lines = [
        {"transaction_id": t, "line_no": n, "product_id": p, "quantity": q, "unit_price": price}
        | {"amount": Decimal(str(price)) * q}
        for t, basket in zip(ids, baskets, strict=True)
        for n, (p, q, price) in enumerate(basket, 1)
    ]
    _rows(engine, TransactionLine, lines)
    return len(sales)


def big_member(context: AppContext, seed: int) -> tuple[int, int]:
    """The benchmarked member (500 lines) and an admin to open them; (member id, staff id)."""
    rng = random.Random(seed)
    with session_scope(context.sessions) as session:
        stores = list(session.scalars(select(Store.id).limit(2)))
        products = list(
            session.execute(select(Product.id, Product.price).where(Product.price > 0).limit(400))
        )
        admin = Staff(login="bench-admin", display_name="Bench Admin", password_hash="-")
        admin.roles = [StaffRole(role="admin", store_id=None)]
        member = Member(name="Bench Member", home_store_id=stores[0], joined_on=date(2010, 6, 1))
        member.birthday = date(1980, 12, 24)
        session.add_all([admin, member])
        session.flush()
        sales = []
        for k in range(48):
            when = datetime(2010, 12, 15, 11, tzinfo=UTC) + timedelta(days=7 * k, hours=rng.randint(0, 6))
            sales.append(_sale(session, member.id, stores[k % 2], when, rng.sample(products, 10), rng))
        for k in range(4):
            _return(session, sales[10 * k + 5], 5)
        session.add(ConsultantAssignment(member_id=member.id, staff_id=admin.id, position="primary"))
        for k in range(20):
            when = datetime(2011, 3, 1, 10, tzinfo=UTC) + timedelta(days=13 * k)
            session.add(Interaction(member_id=member.id, staff_id=admin.id, channel="call", occurred_at=when))
        session.flush()
        for txn in session.scalars(
            select(Transaction).where(Transaction.member_id == member.id).order_by(Transaction.occurred_at)
        ):
            apply_transaction(session, txn.id, txn.occurred_at)
        retag_member(session, member.id, NOW)
        return member.id, admin.id


def _sale(
    session: Any, member_id: int, store: int, when: datetime, items: list[Any], rng: random.Random
) -> Transaction:
    txn = Transaction(store_id=store, member_id=member_id, occurred_at=when, kind="sale", source="bench")
    session.add(txn)
    session.flush()
    total = Decimal("0")
    for n, (product, price) in enumerate(items, 1):
        qty = rng.randint(1, 4)
        amount = (Decimal(str(price)) * qty).quantize(Decimal("0.01"))
        total += amount
        session.add(
            TransactionLine(
                transaction_id=txn.id,
                line_no=n,
                product_id=product,
                quantity=qty,
                unit_price=price,
                amount=amount,
            )
        )
    txn.total_amount = total
    session.flush()
    return txn


def _return(session: Any, sale: Transaction, count: int) -> None:
    sold = list(session.scalars(select(TransactionLine).where(TransactionLine.transaction_id == sale.id)))[
        :count
    ]
    txn = Transaction(
        store_id=sale.store_id,
        member_id=sale.member_id,
        occurred_at=sale.occurred_at + timedelta(days=3),
        kind="return",
        original_transaction_id=sale.id,
        total_amount=-sum((line.amount for line in sold), Decimal("0")),
        source="bench",
    )
    session.add(txn)
    session.flush()
    for n, line in enumerate(sold, 1):
        session.add(
            TransactionLine(
                transaction_id=txn.id,
                line_no=n,
                product_id=line.product_id,
                quantity=-line.quantity,
                unit_price=line.unit_price,
                amount=-line.amount,
                original_line_id=line.id,
            )
        )
    session.flush()


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 2), round(p99 * 1000, 2)


def timed(call: Callable[[], object], runs: int, warm: int = 20) -> list[float]:
    """Wall time of `runs` calls after `warm` untimed ones (the garbage collector runs as it would)."""
    for _ in range(warm):
        call()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def capture(engine: Engine, call: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SQL statements and DB-API parameters `call` sends, in order."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def bare_sql(path: Path, statements: list[tuple[str, Any]]) -> Callable[[], None]:
    """Replay `statements` with the sqlite3 module in one transaction, fetching every row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")

    def run() -> None:
        conn.execute("BEGIN")
        for statement, parameters in statements:
            conn.execute(statement, parameters).fetchall()
        conn.execute("COMMIT")

    return run


def main() -> None:
    """Build the database, time the profile three ways, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{path}",
            secret_key=SecretStr("bench-secret-key-0123456789"),
            _env_file=None,  # type: ignore[call-arg]
        )
        engine = make_engine(settings.resolved_database_url)
        migrate.upgrade(engine)
        context = AppContext.from_settings(settings, engine)
        started = time.perf_counter()
        import_online_retail(engine, args.data)
        with session_scope(context.sessions) as session:
            ensure_example_rules(session, NOW)
            catch_up(session, NOW)
        generated = generate_members(engine, args.members, args.seed)
        member_id, staff_id = big_member(context, args.seed)
        build = time.perf_counter() - started

        def service() -> None:
            with context.sessions() as session:
                staff = session.get(Staff, staff_id)
                assert staff is not None
                open_profile(session, context.keys, staff, member_id, NOW)
                session.commit()

        service()
        statements = capture(engine, service)
        with context.sessions() as session:
            lines = session.scalar(
                select(func.count())
                .select_from(TransactionLine)
                .join(Transaction, Transaction.id == TransactionLine.transaction_id)
                .where(Transaction.member_id == member_id)
            )
            members = session.scalar(select(func.count()).select_from(Member))
        p50, p99 = percentiles(timed(service, args.runs))
        sql_p50, sql_p99 = percentiles(timed(bare_sql(path, statements), args.runs))
        app = create_app(settings, context=context)
        app.dependency_overrides[get_now] = lambda: NOW
        token = issue_token(context.keys.jwt, staff_id=staff_id, version=0, minutes=60)
        with TestClient(app) as client:
            url, headers = f"/api/v1/members/{member_id}/profile", {"Authorization": f"Bearer {token}"}
            assert client.get(url, headers=headers).status_code == 200
            http_p50, http_p99 = percentiles(timed(lambda: client.get(url, headers=headers), args.runs // 2))
        engine.dispose()
    print(
        json.dumps(
            {
                "p50_ms": p50,
                "p99_ms": p99,
                "ratio_to_sql": round(p50 / sql_p50, 1),
                "sql_p50_ms": sql_p50,
                "sql_p99_ms": sql_p99,
                "statements": len(statements),
                "http_p50_ms": http_p50,
                "http_p99_ms": http_p99,
                "member_lines": lines,
                "members": members,
                "generated_sales": generated,
                "runs": args.runs,
                "build_seconds": round(build, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
