"""The backfill books imported history exactly as the till would have, once, and catches up once a day."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import (
    Member,
    MemberTier,
    OutboxMessage,
    PointsEntry,
    Product,
    TierChange,
    Transaction,
    TransactionLine,
)
from server.jobs.catch_up import catch_up, data_as_of
from server.loyalty.backfill import backfill_loyalty, pending
from server.loyalty.config import save_setting
from tests.server.loyalty.rows import Shop, at


def _unlinked_return(shop: Shop, member: Member, product: Product, amount: str, day: int) -> None:
    txn = Transaction(
        store_id=shop.store.id,
        member_id=member.id,
        occurred_at=at(2024, 1, day),
        kind="return",
        total_amount=-Decimal(amount),
    )
    shop.session.add(txn)
    shop.session.flush()
    shop.session.add(
        TransactionLine(
            transaction_id=txn.id,
            line_no=1,
            product_id=product.id,
            quantity=-1,
            unit_price=Decimal(amount),
            amount=-Decimal(amount),
        )
    )
    shop.session.flush()


def _history(shop: Shop, member: Member, goods: dict[str, Product]) -> None:
    """Debts, settlements, an expired lot, an upgrade and a downgrade, with 30-day points."""
    vase = shop.sale(member, at(2024, 1, 1), [(goods["vase"], 1, "100.00")])  # 100 points
    _unlinked_return(shop, member, goods["cup"], "80.00", 2)  # takes 80 from the vase's lot
    shop.give_back(vase, at(2024, 1, 3), {1: 1})  # 20 left in the lot: 80 owed
    lamp = shop.sale(member, at(2024, 1, 4), [(goods["lamp"], 1, "600.00")])  # pays the 80; up to growing
    shop.give_back(lamp, at(2024, 2, 20), {1: 1})  # the lamp's lot expired on 3 Feb; down to new
    shop.sale(member, at(2024, 3, 1), [(goods["mug"], 2, "10.00")])


def _ledger(session: Session, member_id: int) -> list[tuple[Any, ...]]:
    entries = session.scalars(
        select(PointsEntry)
        .where(PointsEntry.member_id == member_id, PointsEntry.kind != "adjust")
        .order_by(PointsEntry.occurred_at)
    )
    return [
        (
            e.kind,
            e.points,
            e.occurred_at,
            e.expires_on,
            e.note,
            sorted(map(str, e.detail.get("lines", {}).values())),
        )
        for e in entries
    ]


def _tiers(session: Session, member_id: int) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(TierChange).where(TierChange.member_id == member_id).order_by(TierChange.id)
    )
    return [(c.from_tier, c.to_tier, c.trigger) for c in rows]


def test_the_bulk_replay_books_what_the_till_would_have_booked(session: Session) -> None:
    save_setting(session, "earn", {"lifetime_days": 30}, at(2023, 12, 1))
    shop = Shop(session)
    goods = {
        name: shop.product(price=price)
        for name, price in [("vase", "100"), ("cup", "80"), ("lamp", "600"), ("mug", "10")]
    }
    fresh, known = shop.member("Fresh"), shop.member("Known")
    for member in (fresh, known):
        _history(shop, member, goods)
    # A ledger entry before the history sends "Known" through apply_transaction, one sale at a time.
    session.add(
        PointsEntry(
            member_id=known.id,
            kind="adjust",
            points=0,
            idempotency_key="opening",
            occurred_at=at(2023, 12, 1),
        )
    )
    session.flush()
    report = backfill_loyalty(session, at(2024, 6, 1))
    assert (report.transactions, report.members, report.one_by_one) == (12, 2, 6)
    assert _ledger(session, fresh.id) == _ledger(session, known.id)
    assert [(kind, points) for kind, points, *_ in _ledger(session, fresh.id)] == [
        ("earn", 100),
        ("reverse", -80),
        ("reverse", -100),
        ("earn", 600),
        ("reverse", -80),
        ("earn", 20),
    ]
    assert (
        _tiers(session, fresh.id)
        == _tiers(session, known.id)
        == [
            ("new", "growing", "purchase"),
            ("growing", "new", "return"),
        ]
    )
    session.expire_all()
    states = {
        m: (t, str(s))
        for m, t, s in session.execute(select(MemberTier.member_id, MemberTier.tier, MemberTier.spend))
    }
    assert states[fresh.id] == states[known.id] == ("new", "0.00")
    # Old history is not news: neither path tells the member of its tier changes.
    told = select(OutboxMessage.id).where(OutboxMessage.kind == "tier_change")
    assert session.scalars(told).first() is None
    assert pending(session, at(2024, 6, 1)) == 0
    assert backfill_loyalty(session, at(2024, 6, 1)).transactions == 0  # nothing left to do


def test_catch_up_runs_once_for_the_day_after_the_data(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    bag = shop.product(price="700")
    shop.sale(ann, at(2024, 3, 5, 15), [(bag, 1, "700.00")])
    assert data_as_of(session, at(2026, 1, 1)) == at(2024, 3, 6, 0)
    assert data_as_of(session, at(2024, 3, 5, 18)) == at(2024, 3, 5, 18)  # never after the wall clock
    first = catch_up(session, at(2026, 1, 1))
    assert first.as_of == at(2024, 3, 6, 0) and first.backfill.transactions == 1
    assert first.nightly is not None and first.nightly["tiers"]["reviewed"] == 1
    assert session.scalar(select(MemberTier.tier).where(MemberTier.member_id == ann.id)) == "growing"
    again = catch_up(session, at(2026, 1, 2))
    assert again.nightly is None and again.backfill.transactions == 0
