"""Money under a busy Saturday, retries and a crash: every count it prints must be 0.

Run: python bench/integrity.py [--url DATABASE_URL] [--clients N] [--members N] [--sales N].
Builds a small chain of its own (two stores, a cashier and a manager per store, a catalogue, members
with points and a VIP tier) in a fresh SQLite file (or, with `--url postgresql+psycopg://…`, in a fresh
schema of that PostgreSQL database), serves the real app with one uvicorn process on loopback, then:
- hammer: `--clients` parallel clients send redemptions (each key three times at once), birthday and
  gift-wrapping benefit uses (beyond their quotas, each key twice), and one-unit returns of 2-unit sales
  (ten times more than can be returned) for `--members` members, all interleaved;
- crash: a burst of `--sales` member sales (each key twice at once); the server is killed with SIGKILL
  once a third of them were answered, started again, and every sale is sent again with its key.
Then it reads the database and counts what must never happen. One JSON line at the end:
{"backend", "requests", "overdrafts", "quota_overruns", "over_refunds", "sales_without_points",
"duplicate_effects", "lost_acknowledged_writes", "server_errors", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402

from server.auth.roles import Role  # noqa: E402
from server.auth.tokens import issue_token  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, session_scope  # noqa: E402
from server.db.tables import (  # noqa: E402
    Benefit,
    BenefitUsage,
    Member,
    MemberTier,
    PointsAllocation,
    PointsEntry,
    Product,
    Store,
    Transaction,
    TransactionLine,
)
from server.loyalty.config import benefit_rows  # noqa: E402
from server.loyalty.service import apply_transaction, points_summary  # noqa: E402
from server.staff.service import create_staff  # noqa: E402

SECRET = "integrity-bench-secret-0123456789"
API = "/api/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_schema(url: str, drop: str | None = None) -> str:
    """A fresh schema on the PostgreSQL server of `url` and the URL that uses it (or drop schema `drop`)."""
    schema = drop or f"integrity_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE' if drop else f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def build(url: str, members: int, data_dir: Path) -> tuple[Engine, dict[str, Any]]:
    """Stores, staff, products and members with points, written as the server would write them."""
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=SecretStr(SECRET),
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    context = AppContext.from_settings(settings, engine)
    now = datetime.now(UTC)
    with session_scope(context.sessions) as s:
        stores = [Store(code=f"S{i}", name=f"Store {i}", timezone="UTC") for i in range(2)]
        s.add_all(stores)
        s.flush()
        staff = {
            "cashier": create_staff(
                s,
                login="cashier",
                display_name="Cashier",
                password="bench-pass-0123",
                roles=[(Role.CASHIER, stores[0].id)],
            ),
            "manager": create_staff(
                s,
                login="manager",
                display_name="Manager",
                password="bench-pass-0123",
                roles=[(Role.STORE_MANAGER, stores[0].id)],
            ),
        }
        products = [
            Product(sku=f"SKU-{i:03d}", name=f"Item {i}", category=f"cat{i % 5}", price=Decimal(10 + i))
            for i in range(40)
        ]
        s.add_all(products)
        s.flush()
        people = []
        for i in range(members):
            m = Member(
                name=f"Member {i}",
                card_number=f"9{i:011d}",
                qr_token=f"bench-qr-{i:08d}",
                home_store_id=stores[0].id,
                joined_on=date(2020, 1, 1),
                birthday=date(1990, now.month, 1),
            )
            s.add(m)
            s.flush()
            s.add(MemberTier(member_id=m.id, tier="VIP", since=now - timedelta(days=30), reviewed_at=now))
            # 3,000 points a member: redemptions of 100-600 stay under the one-time code threshold.
            sale = Transaction(
                store_id=stores[0].id,
                member_id=m.id,
                occurred_at=now - timedelta(days=3),
                kind="sale",
                total_amount=Decimal("3000.00"),
                source="bench",
            )
            s.add(sale)
            s.flush()
            s.add(
                TransactionLine(
                    transaction_id=sale.id,
                    line_no=1,
                    product_id=products[0].id,
                    quantity=1,
                    unit_price=Decimal("3000.00"),
                    amount=Decimal("3000.00"),
                )
            )
            s.flush()
            apply_transaction(s, sale.id, now - timedelta(days=3))
            people.append(m.id)
        tokens = {
            k: issue_token(context.keys.jwt, staff_id=v.id, version=v.token_version, minutes=240)
            for k, v in staff.items()
        }
        world = {
            "store": stores[0].id,
            "members": people,
            "skus": [p.sku for p in products],
            "prices": {p.sku: p.price for p in products},
            "tokens": tokens,
            "benefit_quota": {b.code: b.quota for b in benefit_rows(s) if b.quota is not None},
        }
    return engine, world


def start_server(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """One uvicorn process serving the real app on loopback; SIGTERM ends it with 0 (bench/serve_app.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")} | {
        "AISLE_DATABASE_URL": url,
        "AISLE_DATA_DIR": str(data_dir),
        "AISLE_SECRET_KEY": SECRET,
        "AISLE_REDIS_URL": "",
        "AISLE_RECOMMENDER_WARM_UP": "false",
    }
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "serve_app.py"),
        "server.app:create_app",
        "--host",
        "127.0.0.1",
    ]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}")
            try:
                if (await client.get(f"{API}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


class Run:
    """Every request sent and what came back."""

    def __init__(self, base: str, tokens: dict[str, str], clients: int) -> None:
        self.base, self.tokens = base, tokens
        self.gate = asyncio.Semaphore(clients)
        self.requests = 0
        self.server_errors: list[str] = []
        self.answers: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)

    async def send(
        self, client: httpx.AsyncClient, who: str, path: str, body: dict[str, Any], key: str
    ) -> tuple[int, dict[str, Any]] | None:
        """POST once; None when the connection failed (no answer: the write is not acknowledged)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": key}
        async with self.gate:
            self.requests += 1
            try:
                r = await client.post(f"{API}{path}", json=body, headers=headers)
            except httpx.TransportError:
                return None
        answer = (
            r.status_code,
            r.json() if r.headers.get("content-type", "").startswith("application/json") else {},
        )
        if r.status_code >= 500:
            self.server_errors.append(f"{path} {r.status_code} {r.text[:200]}")
        self.answers[key].append(answer)
        return answer


async def hammer(run: Run, world: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Redemptions, benefit uses and returns for every member at once, with same-key repeats."""
    jobs: list[Any] = []
    acked: dict[str, set[int]] = {"entries": set(), "usages": set(), "transactions": set()}
    async with httpx.AsyncClient(base_url=run.base, timeout=120) as client:
        sales = []
        for m in world["members"]:
            for n in range(2):
                body = {
                    "store_id": world["store"],
                    "member_id": m,
                    "lines": [{"sku": world["skus"][1 + n], "quantity": 2}],
                }
                answer = await run.send(client, "cashier", "/transactions", body, f"two-units-{m}-{n}")
                assert answer is not None and answer[0] == 201, answer
                sales.append(answer[1]["transaction"])
                acked["transactions"].add(answer[1]["transaction"]["id"])

        async def redeem(m: int, i: int) -> None:
            key = f"redeem-{m}-{i}"
            body = {"points": rng.choice((100, 200, 300, 600)), "store_id": world["store"]}
            answers = await asyncio.gather(
                *(run.send(client, "cashier", f"/members/{m}/redemptions", body, key) for _ in range(3))
            )
            for a in answers:
                if a and a[0] == 200:
                    acked["entries"].add(a[1]["entry_id"])

        async def use(m: int, code: str, i: int) -> None:
            key = f"use-{m}-{code}-{i}"
            body = {"idempotency_key": key, "store_id": world["store"]}
            answers = await asyncio.gather(
                *(
                    run.send(client, "cashier", f"/members/{m}/benefits/{code}/use", body, key)
                    for _ in range(2)
                )
            )
            for a in answers:
                if a and a[0] == 201:
                    acked["usages"].add(a[1]["id"])

        async def give_back(sale: dict[str, Any], i: int) -> None:
            body = {
                "store_id": world["store"],
                "kind": "return",
                "original_transaction_id": sale["id"],
                "original_receipt": sale.get("receipt"),
                "lines": [{"original_line_id": sale["lines"][0]["id"], "quantity": -1}],
            } | ({"member_id": sale["member_id"]} if i % 2 else {})  # half name the member, as tills do
            a = await run.send(client, "cashier", "/transactions", body, f"return-{sale['id']}-{i}")
            if a and a[0] in (200, 201):
                acked["transactions"].add(a[1]["transaction"]["id"])

        for m in world["members"]:
            jobs += [redeem(m, i) for i in range(12)]
            jobs += [use(m, "birthday_discount", i) for i in range(6)]
            jobs += [use(m, "free_wrapping", i) for i in range(16)]
        for sale in sales:
            jobs += [give_back(sale, i) for i in range(10)]
        rng.shuffle(jobs)
        await asyncio.gather(*jobs)
    return acked


async def crash(
    run: Run,
    world: dict[str, Any],
    sales: int,
    url: str,
    data_dir: Path,
    port: int,
    server: subprocess.Popen[bytes],
    rng: random.Random,
) -> tuple[subprocess.Popen[bytes], set[int], int, int]:
    """A burst of sales; SIGKILL once a third were answered; restart; every sale again with its key."""
    bodies = {
        f"crash-sale-{i}": {
            "store_id": world["store"],
            "member_id": rng.choice(world["members"]),
            "lines": [{"sku": rng.choice(world["skus"][5:]), "quantity": rng.randint(1, 3)}],
        }
        for i in range(sales)
    }
    acked: dict[str, tuple[int, int | None]] = {}
    answered = asyncio.Event()

    async def one(client: httpx.AsyncClient, key: str) -> None:
        for a in await asyncio.gather(
            *(run.send(client, "cashier", "/transactions", bodies[key], key) for _ in range(2))
        ):
            if a and a[0] in (200, 201):
                points = a[1]["points"]["points"] if a[1].get("points") else None
                acked[key] = (a[1]["transaction"]["id"], points)
        if len(acked) >= sales // 3:
            answered.set()

    async with httpx.AsyncClient(base_url=run.base, timeout=120) as client:
        burst = asyncio.gather(*(one(client, k) for k in bodies), return_exceptions=True)
        await answered.wait()
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        await burst
    killed_at = len(acked)
    server = start_server(url, data_dir, port)
    await wait_ready(run.base, server)
    lost = 0
    async with httpx.AsyncClient(base_url=run.base, timeout=120) as client:

        async def again(key: str) -> None:
            nonlocal lost
            a = await run.send(client, "cashier", "/transactions", bodies[key], key)
            if a is None or a[0] not in (200, 201):
                lost += 1  # the till cannot complete a sale it sent: as bad as losing it
                return
            txn = a[1]["transaction"]["id"]
            if key in acked and acked[key][0] != txn:
                lost += 1  # an acknowledged sale the database forgot, booked anew
            acked[key] = (txn, a[1]["points"]["points"] if a[1].get("points") else None)

        await asyncio.gather(*(again(k) for k in bodies))
    return server, {t for t, _ in acked.values()}, killed_at, lost


def audit(engine: Engine, world: dict[str, Any], run: Run, acked: dict[str, set[int]]) -> dict[str, int]:
    """Count what must never happen, from the database."""
    out: dict[str, int] = {}
    now = datetime.now(UTC)
    with engine.connect() as conn:
        from sqlalchemy.orm import Session

        session = Session(bind=conn)
        overdrafts = 0
        for m in world["members"]:
            summary = points_summary(session, m, now)
            overdrafts += summary.balance < 0 or summary.available < 0
        # A lot never gives more than it holds.
        used = (
            select(PointsAllocation.lot_id, func.sum(PointsAllocation.points).label("used"))
            .group_by(PointsAllocation.lot_id)
            .subquery()
        )
        over = (
            select(func.count())
            .select_from(PointsEntry)
            .join(used, used.c.lot_id == PointsEntry.id)
            .where(used.c.used > PointsEntry.points)
        )
        out["overdrafts"] = overdrafts + int(session.scalar(over) or 0)
        quota = world["benefit_quota"]
        usage = session.execute(
            select(BenefitUsage.member_id, Benefit.code, func.count())
            .join(Benefit, Benefit.id == BenefitUsage.benefit_id)
            .group_by(BenefitUsage.member_id, Benefit.code)
        ).all()
        out["quota_overruns"] = sum(max(0, n - quota[code]) for _, code, n in usage if code in quota)
        returned = session.execute(
            select(
                TransactionLine.original_line_id,
                func.sum(-TransactionLine.quantity),
                func.sum(-TransactionLine.amount),
            )
            .where(TransactionLine.quantity < 0, TransactionLine.original_line_id.is_not(None))
            .group_by(TransactionLine.original_line_id)
        ).all()
        sold = {
            i: (q, a)
            for i, q, a in session.execute(
                select(TransactionLine.id, TransactionLine.quantity, TransactionLine.amount)
            )
        }
        out["over_refunds"] = sum(1 for i, q, a in returned if q > sold[i][0] or a > sold[i][1])
        earned = select(PointsEntry.id).where(
            PointsEntry.transaction_id == Transaction.id, PointsEntry.kind == "earn"
        )
        out["sales_without_points"] = int(
            session.scalar(
                select(func.count())
                .select_from(Transaction)
                .where(
                    Transaction.kind == "sale",
                    Transaction.member_id.is_not(None),
                    Transaction.total_amount > 0,
                )
                .where(~earned.exists())
            )
            or 0
        )
        doubled_earn = (
            select(PointsEntry.transaction_id)
            .where(PointsEntry.transaction_id.is_not(None))
            .group_by(PointsEntry.transaction_id, PointsEntry.kind)
            .having(func.count() > 1)
        )
        same_key_differs = 0
        for answers in run.answers.values():
            ok = {json.dumps(_identity(b), sort_keys=True) for s, b in answers if s in (200, 201)}
            same_key_differs += len(ok) > 1
        out["duplicate_effects"] = len(session.execute(doubled_earn).all()) + same_key_differs
        ids = {
            "entries": set(
                session.scalars(select(PointsEntry.id).where(PointsEntry.id.in_(acked["entries"])))
            ),
            "usages": set(
                session.scalars(select(BenefitUsage.id).where(BenefitUsage.id.in_(acked["usages"])))
            ),
            "transactions": set(
                session.scalars(select(Transaction.id).where(Transaction.id.in_(acked["transactions"])))
            ),
        }
        out["lost_acknowledged_writes"] = sum(len(acked[k] - ids[k]) for k in acked)
        session.close()
    return out


def _identity(body: dict[str, Any]) -> Any:
    """What must be the same in every answer to one key: the effect's ids and amounts."""
    if "transaction" in body:
        points = body.get("points") or {}
        return [
            body["transaction"]["id"],
            body["transaction"]["total_amount"],
            points.get("entry_id"),
            points.get("points"),
        ]
    if "entry_id" in body:
        return [body.get("entry_id"), body.get("points"), body.get("status")]
    return [body.get("id")]


async def drive(
    args: argparse.Namespace, url: str, data_dir: Path, world: dict[str, Any], engine: Engine
) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, data_dir, port)
    rng = random.Random(args.seed)
    try:
        await wait_ready(base, server)
        run = Run(base, world["tokens"], args.clients)
        began = time.perf_counter()
        acked = await hammer(run, world, rng)
        hammer_s = time.perf_counter() - began
        server, sales, killed_at, lost = await crash(run, world, args.sales, url, data_dir, port, server, rng)
        acked["transactions"] |= sales
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    counts = audit(engine, world, run, acked)
    counts["lost_acknowledged_writes"] += lost
    statuses = Counter(s for answers in run.answers.values() for s, _ in answers)
    return {
        "requests": run.requests,
        **counts,
        "server_errors": len(run.server_errors),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "answered_before_kill": killed_at,
        "hammer_s": round(hammer_s, 1),
        "first_server_errors": run.server_errors[:3],
        "server_exit": server.returncode,  # the restarted server's: 0, stopped by SIGTERM as `aisle serve` is
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--url", default="", help="a PostgreSQL URL (a fresh schema is made in it); SQLite if empty"
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = postgres_schema(args.url) if args.url else f"sqlite:///{data_dir / 'integrity.db'}"
        engine, world = build(url, args.members, data_dir)
        try:
            figures = asyncio.run(drive(args, url, data_dir, world, engine))
        finally:
            engine.dispose()
            if args.url:
                postgres_schema(args.url, drop=url.rsplit("%3D", 1)[1])
    backend = "postgresql" if args.url else "sqlite"
    print(json.dumps({"backend": backend, **figures}))


if __name__ == "__main__":
    main()
