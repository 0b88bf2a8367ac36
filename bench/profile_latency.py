"""How fast one member's 360° profile is built (target: p99 under 20 ms on SQLite for 500 lines).

Run: python bench/profile_latency.py [--data PATH] [--members N] [--runs N]. Builds a fresh SQLite file:
the Online Retail development data (imported, then loyalty caught up as of 2011-12-10 with the example tag
rules), generated members with a few sales each up to N members in all, and one member with 500 lines
(48 sales of 10 lines and 4 returns of 5, interactions, a consultant). Then it times
`server.profile.service.open_profile` (the endpoint's work: access check, every figure, the audit row,
the commit) for that member, and the bare SQL: the very statements and parameters the profile sent,
captured once and replayed with the sqlite3 module.

Then the same profile over HTTP as a phone gets it: a real server process (this script with --serve: the
app as `aisle serve` runs it, uvicorn with its access log, the recommender warmed up, the business clock
at 2011-12-10 as the demo sets it for historical data) on loopback, one keep-alive connection, timed
after GET /api/v1/health/ready says the server is ready. Each response carries a Server-Timing header
from a wrapper around the app: the time inside the ASGI app (guard, dependencies, handler, commit,
serialisation) and the garbage collector's pauses during it; the rest is uvicorn, loopback and the
client. The server is stopped with SIGTERM and its exit status reported. Text embeddings are cached in
the models' default cache (~/.cache/aisle/embeddings), so only the first run embeds the catalogue.
Prints where the HTTP time goes on stderr, then one JSON line: {"p50_ms", "p99_ms", "ratio_to_sql",
"sql_p50_ms", "http_p50_ms", "http_p99_ms", "where_ms": {...}, "server_exit": 0, ...}.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
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

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import Engine, event, func, insert, select  # noqa: E402

from models.encoder import DEFAULT_CACHE  # noqa: E402
from server.app import SERVE_OPTIONS, create_app  # noqa: E402
from server.auth.tokens import issue_token  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.core.serving import serve_until_stopped  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.base import utcnow  # noqa: E402
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


SECRET = "bench-secret-key-0123456789"
READY_LIMIT = 900.0  # seconds; the first run embeds the whole catalogue


def bench_settings(folder: Path) -> Settings:
    """The benchmark's settings: SQLite in `folder`, a fixed secret, nothing read from the environment."""
    return Settings(
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'bench.db'}",
        secret_key=SecretStr(SECRET),
        _env_file=None,  # type: ignore[call-arg]
    )


class Timed:
    """ASGI wrapper: a Server-Timing header with the time inside the app and the collector's pauses in it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gc_seconds = 0.0  # every pause since start, added up (one event loop: requests run one by one)
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_started

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, gc_before = time.perf_counter(), self.gc_seconds

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                app_ms = (time.perf_counter() - started) * 1000
                gc_ms = (self.gc_seconds - gc_before) * 1000
                value = f"app;dur={app_ms:.3f}, gc;dur={gc_ms:.3f}".encode()
                message = message | {"headers": [*message.get("headers", []), (b"server-timing", value)]}
            await send(message)

        await self.app(scope, receive, timed_send)


def serve(folder: Path, port: int) -> None:
    """The server process: the app as `aisle serve` runs it, its clock at NOW as the demo sets it."""
    import uvicorn

    settings = bench_settings(folder)
    app = create_app(settings, context=AppContext.from_settings(settings))
    app.state.clock_offset = NOW - utcnow()
    config = uvicorn.Config(Timed(app), host="127.0.0.1", port=port, **SERVE_OPTIONS)  # type: ignore[arg-type]
    serve_until_stopped(uvicorn.Server(config))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(client: httpx.Client, server: subprocess.Popen[bytes], member_id: int) -> float:
    """Seconds until GET /health/ready answers 200 (the recommender warmed up, every job running).

    A server without that endpoint (an older commit, compared side by side) is ready once the member's
    recommendations, which wait for the recommender to be built, have answered.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < READY_LIMIT:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was ready")
        try:
            status = client.get("/api/v1/health/ready").status_code
            if status == 404 and client.get(f"/api/v1/members/{member_id}/recommendations").is_success:
                time.sleep(1.0)  # the old warm-up's collection and freeze, after the build
                return time.perf_counter() - started
            if status == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready after {READY_LIMIT:.0f} s")


def over_http(folder: Path, member_id: int, token: str, runs: int) -> dict[str, Any]:
    """The profile from a real server process over loopback keep-alive: figures and where the time goes."""
    cache = folder / "embeddings"
    DEFAULT_CACHE.mkdir(parents=True, exist_ok=True)
    cache.symlink_to(DEFAULT_CACHE, target_is_directory=True)  # the catalogue is embedded once, not per run
    port = free_port()
    env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    command = [sys.executable, __file__, "--serve", str(folder), "--port", str(port)]
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            ready = wait_ready(client, server, member_id)
            url = f"/api/v1/members/{member_id}/profile"
            first = []
            for _ in range(20):  # the first calls, apart: what a restart costs the first clerk
                started = time.perf_counter()
                assert client.get(url).status_code == 200
                first.append(time.perf_counter() - started)
            total, app, collector = [], [], []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(url)
                total.append(time.perf_counter() - started)
                assert response.status_code == 200
                timing = dict(part.split(";dur=") for part in response.headers["server-timing"].split(", "))
                app.append(float(timing["app"]) / 1000)
                collector.append(float(timing["gc"]) / 1000)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait()
    output = log.read_text(errors="replace")
    outside = [t - a for t, a in zip(total, app, strict=True)]
    return {
        "total": percentiles(total),
        "app": percentiles(app),
        "outside": percentiles(outside),
        "gc": percentiles(collector),
        "gc_max": round(max(collector) * 1000, 2),
        "first": percentiles(first) + (round(first[0] * 1000, 2),),
        "ready_seconds": round(ready, 1),
        "exit": code,
        "aborted": "terminate called" in output or "Traceback" in output,
    }


def main() -> None:
    """Build the database, time the profile three ways, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server process's folder
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        settings = bench_settings(Path(tmp))
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
        token = issue_token(context.keys.jwt, staff_id=staff_id, version=0, minutes=60)
        engine.dispose()
        http = over_http(Path(tmp), member_id, token, args.runs // 2)
    (http_p50, http_p99), (app_p50, app_p99), (out_p50, out_p99) = http["total"], http["app"], http["outside"]
    print(
        f"HTTP p50 {http_p50} ms, p99 {http_p99} ms (ready after {http['ready_seconds']} s); where it goes:\n"
        f"  the profile's own work (in process)  p50 {p50:7.2f}  p99 {p99:7.2f}\n"
        f"  inside the ASGI app (guard, deps,    p50 {app_p50:7.2f}  p99 {app_p99:7.2f}\n"
        f"    handler, commit, serialisation)\n"
        f"  of which collector pauses            p50 {http['gc'][0]:7.2f}  p99 {http['gc'][1]:7.2f}"
        f"  max {http['gc_max']}\n"
        f"  uvicorn, loopback and the client     p50 {out_p50:7.2f}  p99 {out_p99:7.2f}\n"
        f"  first 20 calls after ready           p50 {http['first'][0]:7.2f}  max {max(http['first'])}\n"
        f"  server stopped by SIGTERM: exit {http['exit']}" + (" (aborted!)" if http["aborted"] else ""),
        file=sys.stderr,
    )
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
                "where_ms": {
                    "service_p50": p50,
                    "service_p99": p99,
                    "app_p50": app_p50,
                    "app_p99": app_p99,
                    "gc_p99": http["gc"][1],
                    "gc_max": http["gc_max"],
                    "transport_client_p50": out_p50,
                    "transport_client_p99": out_p99,
                    "first_call": http["first"][2],
                },
                "ready_seconds": http["ready_seconds"],
                "server_exit": http["exit"],
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
