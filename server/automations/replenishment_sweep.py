"""The daily replenishment sweep: read purchase days set-based, write the `replenishment_due` events due.

Days are UTC calendar days. A purchase is a sale line with a positive quantity that has not been returned
in full (return lines naming it as their original); return transactions never count. The sweep may run
any number of times a day: each cycle's event has one key (`replenishment.reminder_key`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.automations.replenishment import (
    History,
    ReplenishParams,
    history,
    product_cycles,
    reminders,
)
from server.business_events.events import NewEvent, emit_many
from server.db.queries import as_date, chunks, utc_day
from server.db.tables import AutomationEvent, Transaction, TransactionLine

MEMBERS_PER_QUERY = 20_000  # members whose purchase days one grouped query reads
HISTORY_DAYS = 730  # purchases older than this neither set a cycle nor start a reminder


class PurchaseDay(NamedTuple):
    """One member's purchase of one product on one UTC day, and a store it was bought in."""

    member_id: int
    product_id: int
    day: int  # date ordinal
    store_id: int


def _member_id_range(session: Session, since: datetime, until: datetime) -> tuple[int, int] | None:
    lo, hi = session.execute(
        select(func.min(Transaction.member_id), func.max(Transaction.member_id)).where(
            Transaction.member_id.is_not(None),
            Transaction.occurred_at >= since,
            Transaction.occurred_at < until,
        )
    ).one()
    return None if lo is None or hi is None else (int(lo), int(hi))


def purchase_days(session: Session, since: datetime, until: datetime) -> Iterator[PurchaseDay]:
    """Members' distinct purchase days per product in [since, until), by member then product then day."""
    span = _member_id_range(session, since, until)
    if span is None:
        return
    returned = (
        select(
            TransactionLine.original_line_id.label("line_id"),
            func.sum(-TransactionLine.quantity).label("units"),
        )
        .where(TransactionLine.original_line_id.is_not(None), TransactionLine.quantity < 0)
        .group_by(TransactionLine.original_line_id)
        .subquery()
    )
    day = utc_day(session, Transaction.occurred_at)
    ordinals: dict[object, int] = {}  # a few hundred distinct days over a million rows
    for lo in range(span[0], span[1] + 1, MEMBERS_PER_QUERY):
        query = (
            select(Transaction.member_id, TransactionLine.product_id, day, func.max(Transaction.store_id))
            .join(TransactionLine, TransactionLine.transaction_id == Transaction.id)
            .outerjoin(returned, returned.c.line_id == TransactionLine.id)
            .where(
                Transaction.member_id >= lo,
                Transaction.member_id < lo + MEMBERS_PER_QUERY,
                Transaction.kind == "sale",
                Transaction.occurred_at >= since,
                Transaction.occurred_at < until,
                TransactionLine.quantity > func.coalesce(returned.c.units, 0),
            )
            .group_by(Transaction.member_id, TransactionLine.product_id, day)
            .order_by(Transaction.member_id, TransactionLine.product_id, day)
        )
        for member_id, product_id, on, store_id in session.execute(query):
            ordinal = ordinals.get(on)
            if ordinal is None:
                ordinal = ordinals[on] = as_date(on).toordinal()
            yield PurchaseDay(member_id, product_id, ordinal, store_id)


def _histories(
    rows: Iterator[PurchaseDay], params: ReplenishParams
) -> Iterator[tuple[int, int, History, int]]:
    """Fold ordered purchase days into one (member, product, history, store of the last purchase) each."""
    current: tuple[int, int] | None = None
    days: list[int] = []
    store = 0
    for row in rows:
        pair = (row.member_id, row.product_id)
        if pair != current:
            if current is not None:
                yield current[0], current[1], history(days, params), store
            current, days = pair, []
        days.append(row.day)
        store = row.store_id
    if current is not None:
        yield current[0], current[1], history(days, params), store


def sweep_replenishment(session: Session, now: datetime, params: ReplenishParams | None = None) -> int:
    """Write today's `replenishment_due` events (UTC days) and return how many were new."""
    params = params or ReplenishParams()
    today = now.astimezone(UTC).date()
    until = datetime.combine(today, time(), tzinfo=UTC)  # today's purchases start tomorrow's cycles
    since = until - timedelta(days=HISTORY_DAYS)
    pairs = list(_histories(purchase_days(session, since, until), params))
    cycles = product_cycles(((p, seen) for _, p, seen, _ in pairs), params)
    store_of = {(m, p): store for m, p, _, store in pairs}
    due = reminders([(m, p, seen) for m, p, seen, _ in pairs], cycles, today.toordinal(), params)
    events = [
        NewEvent(
            kind="replenishment_due",
            member_id=r.member_id,
            key=r.key,
            occurred_at=now,
            store_id=store_of[(r.member_id, r.product_id)],
            payload={
                "product_id": r.product_id,
                "cycle_days": r.cycle_days,
                "last_bought": date.fromordinal(r.last_bought).isoformat(),
                "due_on": date.fromordinal(r.due_on).isoformat(),
            },
        )
        for r in due
    ]
    new = len(events) - _known_keys(session, [e.key for e in events])
    emit_many(session, events)
    return new


def _known_keys(session: Session, keys: list[str]) -> int:
    """How many of the keys were written before (a second sweep the same day finds them all)."""
    return sum(
        session.scalar(select(func.count()).where(AutomationEvent.key.in_(part))) or 0
        for part in chunks(keys)
    )
