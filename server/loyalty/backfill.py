"""Loyalty for history that was imported rather than rung up: points and tiers for every old transaction.

Idempotent: a transaction with a ledger entry is done. Members with no ledger yet (all of them after an
import) are replayed in memory (`server.loyalty.replay`) and written with a few bulk inserts; a member who
already has entries gets their missing transactions through `apply_transaction`, one by one, in time
order. Historic tier changes are recorded but raise no consultant events (on the replay path) and send
the member no message: they are not news.
`server.jobs.catch_up` follows it with the nightly pass as of the day after the data ends.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, exists, func, insert, select, update
from sqlalchemy.orm import Session

from server.db.base import utcnow
from server.db.queries import chunks
from server.db.tables import (
    Member,
    MemberTier,
    PointsAllocation,
    PointsEntry,
    Product,
    TierChange,
    Transaction,
    TransactionLine,
)
from server.loyalty.config import load_config
from server.loyalty.replay import Book, LineIn, MemberReplay, TxnIn
from server.loyalty.service import apply_transaction

T, L = Transaction, TransactionLine
_UNAPPLIED = (
    T.member_id.is_not(None),
    T.kind.in_(("sale", "return")),
    ~exists().where(PointsEntry.transaction_id == T.id),
)


@dataclass
class BackfillReport:
    """What the backfill applied."""

    transactions: int = 0
    members: int = 0
    points_earned: int = 0
    points_reversed: int = 0
    tier_changes: int = 0
    one_by_one: int = 0  # transactions of members who already had a ledger
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def pending(session: Session, now: datetime) -> int:
    """Member sales and returns up to `now` that have no ledger entry yet."""
    return int(session.scalar(select(func.count()).where(*_UNAPPLIED, T.occurred_at <= now)) or 0)


def backfill_loyalty(session: Session, now: datetime) -> BackfillReport:
    """Apply every member sale and return up to `now` not yet in the ledger, oldest first (idempotent)."""
    started = time.perf_counter()
    report = BackfillReport()
    txns = [
        TxnIn(*r)
        for r in session.execute(
            select(T.id, T.member_id, T.store_id, T.staff_id, T.occurred_at, T.kind, T.total_amount)
            .add_columns(T.original_transaction_id)
            .where(*_UNAPPLIED, T.occurred_at <= now)
            .order_by(T.occurred_at, T.id)
        )
    ]
    if not txns:
        return report
    with_ledger = set(session.scalars(select(PointsEntry.member_id).distinct()))
    by_member: dict[int, list[TxnIn]] = defaultdict(list)
    for t in txns:
        by_member[t.member_id].append(t)
    fresh = {m: ts for m, ts in by_member.items() if m not in with_ledger}
    if fresh:
        _replay(session, fresh, now, report)
    for t in (t for t in txns if t.member_id in with_ledger):
        outcome = apply_transaction(session, t.id, t.occurred_at, notify=False)
        report.one_by_one += 1
        if outcome is not None and not outcome.replayed:
            report.points_earned += max(outcome.entry.points, 0) if t.kind == "sale" else 0
            report.points_reversed += -outcome.entry.points if t.kind == "return" else 0
            report.tier_changes += bool(outcome.tier and outcome.tier.changed)
    report.transactions, report.members = len(txns), len(by_member)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _lines(
    session: Session, now: datetime, members: set[int]
) -> tuple[dict[int, list[LineIn]], dict[int, LineIn]]:
    stmt = (
        select(L.id, L.transaction_id, L.product_id, L.quantity, L.amount, L.original_line_id, T.member_id)
        .add_columns(Product.category, Product.is_merchandise)
        .join(T, T.id == L.transaction_id)
        .join(Product, Product.id == L.product_id)
        .where(*_UNAPPLIED, T.occurred_at <= now)
        .order_by(L.transaction_id, L.line_no)
    )
    by_txn: dict[int, list[LineIn]] = defaultdict(list)
    by_id: dict[int, LineIn] = {}
    # Through the connection, not the ORM: 400,000 plain rows load several times faster.
    for i, txn, product, qty, amount, original, member, category, merch in session.connection().execute(stmt):
        if member in members:
            line = LineIn(i, txn, product, qty, amount, original, category, merch)
            by_txn[txn].append(line)
            by_id[i] = line
    return by_txn, by_id


def _replay(session: Session, fresh: dict[int, list[TxnIn]], now: datetime, report: BackfillReport) -> None:
    config = load_config(session)
    lines, line_by_id = _lines(session, now, set(fresh))
    people = {
        m: (joined, birthday)
        for part in chunks(sorted(fresh))
        for m, joined, birthday in session.execute(
            select(Member.id, Member.joined_on, Member.birthday).where(Member.id.in_(part))
        )
    }
    book = Book()
    for member_id, txns in fresh.items():
        joined, birthday = people[member_id]
        MemberReplay(book, config, member_id, joined, birthday).run(txns, lines, line_by_id)
    _write(session, book, now)
    report.points_earned += sum(e["points"] for e in book.entries if e["kind"] == "earn")
    report.points_reversed += -sum(e["points"] for e in book.entries if e["kind"] == "reverse")
    report.tier_changes += len(book.changes)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _write(session: Session, book: Book, now: datetime) -> None:
    created = utcnow()
    table = _table(PointsEntry)
    # Plain executemany, then the ids by key: an ORM insert with RETURNING is far slower at this size.
    for part in chunks(book.entries, 5000):
        session.execute(insert(table), [{**row, "created_at": created} for row in part])
    keys = [row["idempotency_key"] for row in book.entries]
    by_key: dict[str, int] = {}
    for key_part in chunks(keys):
        stmt = select(PointsEntry.idempotency_key, PointsEntry.id).where(
            PointsEntry.idempotency_key.in_(key_part)
        )
        by_key.update({k: i for k, i in session.execute(stmt)})
    ids = [by_key[k] for k in keys]
    allocations = [{"debit_id": ids[d], "lot_id": ids[lot], "points": p} for d, lot, p in book.allocations]
    for rows in chunks(allocations, 20_000):
        session.execute(insert(_table(PointsAllocation)), list(rows))
    if book.changes:
        session.execute(insert(_table(TierChange)), book.changes)
    states = set(session.scalars(select(MemberTier.member_id)))
    new = [row for row in book.tiers if row["member_id"] not in states]
    old = [row for row in book.tiers if row["member_id"] in states]
    if new:
        session.execute(insert(MemberTier), new)
    if old:
        session.execute(update(MemberTier), old)
    session.flush()
    session.expire_all()
