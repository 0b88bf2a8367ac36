"""The chain bench/journeys.py runs on: the development data's customers and sales, padded to N members.

Each real customer of the Online Retail file becomes a member with their invoices as sales (headers
only: the journeys' facts read totals and dates, not lines). Members beyond the real ones clone a real
customer's purchase history moved back by 0-120 days, so the padding keeps the real distribution of
visits, spend and gaps. Without the file (`--no-dev-data`) histories are drawn at random. Birthdays and
join dates are spread over the year so the date triggers fire every day. Everything is bulk-inserted.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from server.automations.seeds import ensure_seed_journeys
from server.db.tables import Journey, JourneyStoreSwitch, Member, Staff, StaffRole, Store, Transaction
from server.loyalty.config import save_setting

ZONES = ("Europe/London", "Asia/Shanghai", "America/New_York", "UTC")
MEMBER_WEEKDAY = 2  # Wednesday: the week's member day (its eve, Tuesday, is the headline's trigger)

History = list[tuple[datetime, Decimal]]


def read_histories(path: Path) -> list[History]:
    """Each Online Retail customer's invoices (time, total), cancellations and returns left out."""
    invoices: dict[tuple[str, str], list[Any]] = {}
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:  # type: ignore[operator]
        for row in csv.DictReader(handle):
            customer, invoice = (row.get("CustomerID") or "").strip(), row["InvoiceNo"]
            if not customer or invoice.startswith("C"):
                continue
            quantity, price = int(row["Quantity"]), Decimal(row["UnitPrice"])
            if quantity <= 0 or price <= 0:
                continue
            at = datetime.strptime(row["InvoiceDate"][:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            found = invoices.setdefault((customer, invoice), [at, Decimal(0)])
            found[1] += quantity * price
    by_customer: dict[str, History] = defaultdict(list)
    for (customer, _), (at, total) in sorted(invoices.items(), key=lambda kv: kv[1][0]):
        by_customer[customer].append((at, total.quantize(Decimal("0.01"))))
    return [by_customer[c] for c in sorted(by_customer)]


def random_histories(n: int, end: datetime, rng: random.Random) -> list[History]:
    """Histories drawn at random over the year before `end` (a bench without the data file)."""
    out = []
    for _ in range(n):
        visits = 1 + int(rng.expovariate(1 / 3))
        times = sorted(end - timedelta(days=rng.uniform(1, 365)) for _ in range(visits))
        out.append([(t, Decimal(str(round(rng.lognormvariate(3.5, 1.0), 2)))) for t in times])
    return out


def start_of_week(histories: list[History]) -> datetime:
    """The Monday after the last sale, 09:00 UTC: the simulated week begins where the data ends."""
    last = max(t for h in histories for t, _ in h).date() + timedelta(days=1)
    monday = last + timedelta(days=(7 - last.weekday()) % 7)
    return datetime(monday.year, monday.month, monday.day, 9, tzinfo=UTC)


@dataclass
class World:
    """What the bench needs to know about the chain it built."""

    members: list[int]
    stores: list[int]
    admin_id: int
    journeys: dict[str, int]  # slug -> journey id
    sales: int


def _member_rows(
    n: int, histories: list[History], stores: list[int], start: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[History]]:
    rows, own = [], []
    real = len(histories)
    for i in range(n):
        base = histories[i % real]
        shift = timedelta(days=0 if i < real else rng.randint(0, 120))
        history = [(t - shift, amount) for t, amount in base]
        first = history[0][0].date() if history else start.date() - timedelta(days=30)
        joined = first - timedelta(days=rng.randint(0, 700))
        born = date(rng.randint(1950, 2004), 1, 1) + timedelta(days=rng.randrange(365))
        rows.append(
            {
                "name": f"Member {i}",
                "birthday": born,
                "home_store_id": stores[i % len(stores)],
                "joined_on": joined,
                "marketing_consent": rng.random() < 0.8,
                "locale": "zh-CN" if i % 3 == 0 else "en",
                "created_at": start,
                "updated_at": start,
            }
        )
        own.append(history)
    return rows, own


def build_world(
    session: Session, n: int, histories: list[History], start: datetime, n_stores: int, seed: int
) -> World:
    """Stores, an admin, n members with their sales, the member day, the seed journeys switched on."""
    rng = random.Random(seed)
    stores = [
        Store(code=f"JB{i}", name=f"Store {i}", timezone=ZONES[i % len(ZONES)], currency="GBP")
        for i in range(n_stores)
    ]
    session.add_all(stores)
    admin = Staff(
        login="bench-admin",
        display_name="Bench admin",
        password_hash="!",
        active=True,
        token_version=0,
        roles=[StaffRole(role="admin", store_id=None)],
    )
    session.add(admin)
    session.flush()
    store_ids = [s.id for s in stores]
    rows, own = _member_rows(n, histories, store_ids, start, rng)
    for part in range(0, len(rows), 5000):
        session.execute(insert(Member), rows[part : part + 5000])
    session.flush()
    ids = list(session.scalars(Member.__table__.select().with_only_columns(Member.id).order_by(Member.id)))
    sales = []
    for member_id, history, row in zip(ids, own, rows, strict=True):
        sales.extend(
            {
                "store_id": row["home_store_id"],
                "member_id": member_id,
                "occurred_at": at,
                "kind": "sale",
                "total_amount": amount,
                "discount_amount": Decimal(0),
                "source": "import",
                "created_at": at,
            }
            for at, amount in history
        )
    for part in range(0, len(sales), 10000):
        session.execute(insert(Transaction), sales[part : part + 10000])
    rule = {"kind": "member_day", "weekday": MEMBER_WEEKDAY, "factor": "2", "label": "Member day"}
    save_setting(session, "earn", {"multipliers": [rule]}, start)
    ensure_seed_journeys(session, start)
    journeys = {j.slug: j.id for j in session.query(Journey).filter(Journey.slug.like("seed-%"))}
    session.add_all(
        JourneyStoreSwitch(journey_id=j, store_id=s, enabled=True, changed_by_id=admin.id, changed_at=start)
        for j in journeys.values()
        for s in store_ids
    )
    session.flush()
    return World(list(ids), store_ids, admin.id, journeys, len(sales))
