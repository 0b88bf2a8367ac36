"""The replenishment sweep on SQLite and PostgreSQL: one event per cycle, rebuys, returns, stale cycles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.automations import replenishment_sweep
from server.automations.replenishment import ReplenishParams
from server.automations.replenishment_sweep import sweep_replenishment
from server.core.context import AppContext
from server.db.tables import AutomationEvent, Member, Product, Store, TransactionLine
from tests.fixtures.factories import make_member, make_product, make_store, make_transaction

DAY0 = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
PARAMS = ReplenishParams(prior_strength=2.0, lead_days=0, grace_days=10, min_repeat_buyers=3, min_own_gaps=0)


def buy(session: Session, store: Store, member: Member, product: Product, *offsets: int) -> list[int]:
    """Sales of one unit on each day offset from DAY0; returns the sale line ids."""
    line_ids = []
    for offset in offsets:
        txn = make_transaction(session, store, member, [(product, 1, "5.00")], DAY0 + timedelta(days=offset))
        line = select(TransactionLine.id).where(TransactionLine.transaction_id == txn.id)
        line_ids.append(session.scalars(line).one())
    return line_ids


def events(session: Session) -> list[AutomationEvent]:
    return list(session.scalars(select(AutomationEvent).order_by(AutomationEvent.id)))


def sweep(session: Session, day: int) -> int:
    return sweep_replenishment(session, DAY0 + timedelta(days=day, hours=-2), PARAMS)


def test_a_regular_buyer_is_reminded_once_per_cycle(session: Session, context: AppContext) -> None:
    store, product = make_store(session), make_product(session)
    member = make_member(session, context.keys, store)
    buy(session, store, member, product, 0, 30, 60)
    assert sweep(session, 89) == 0
    assert sweep(session, 90) == 1
    assert sweep(session, 90) == 0 and sweep(session, 91) == 0  # the same cycle's key
    [event] = events(session)
    assert event.kind == "replenishment_due" and event.member_id == member.id and event.store_id == store.id
    assert event.payload == {
        "product_id": product.id,
        "cycle_days": 30.0,
        "last_bought": (DAY0 + timedelta(days=60)).date().isoformat(),
        "due_on": (DAY0 + timedelta(days=90)).date().isoformat(),
    }
    assert event.key == f"replenish:{member.id}:{product.id}:{(DAY0 + timedelta(days=60)).date().toordinal()}"


def test_a_rebuy_before_the_due_day_suppresses_the_old_cycle(session: Session, context: AppContext) -> None:
    store, product = make_store(session), make_product(session)
    member = make_member(session, context.keys, store)
    buy(session, store, member, product, 0, 30, 80)  # rebought before day 60 + 30 = 90 came
    assert sweep(session, 90) == 0 and events(session) == []
    assert sweep(session, 119) == 0 and sweep(session, 120) == 1  # 80 + the median of 30 and 50
    assert events(session)[0].payload["last_bought"] == (DAY0 + timedelta(days=80)).date().isoformat()


def test_returned_sales_are_not_purchases(session: Session, context: AppContext) -> None:
    store, product = make_store(session), make_product(session)
    member = make_member(session, context.keys, store)
    buy(session, store, member, product, 0, 30)
    [taken_back] = buy(session, store, member, product, 50)
    back = [(product, -1, "5.00")]
    make_transaction(session, store, member, back, DAY0 + timedelta(days=51), "return", [taken_back])
    make_transaction(session, store, member, back, DAY0 + timedelta(days=52), "return")  # unlinked
    assert sweep(session, 60) == 1  # due from day 30, as if day 50's sale had never been
    assert events(session)[0].payload["last_bought"] == (DAY0 + timedelta(days=30)).date().isoformat()


def test_a_stale_cycle_is_never_reminded(session: Session, context: AppContext) -> None:
    store, product = make_store(session), make_product(session)
    member = make_member(session, context.keys, store)
    buy(session, store, member, product, 0, 30)
    assert sweep(session, 71) == 0 and events(session) == []  # due on 60, ten days of grace are over


def test_one_purchase_members_follow_the_products_typical_cycle(
    session: Session, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replenishment_sweep, "MEMBERS_PER_QUERY", 2)  # the prior spans several queries
    store, product, other = make_store(session), make_product(session), make_product(session)
    for gap in (20, 30, 40):
        buy(session, store, make_member(session, context.keys, store), product, 0, gap)
    newcomer = make_member(session, context.keys, store)
    buy(session, store, newcomer, product, 100)
    buy(session, store, newcomer, other, 100)  # nobody rebought it: no typical cycle, no reminder
    assert sweep(session, 130) == 1
    [event] = events(session)
    assert event.member_id == newcomer.id and event.payload["cycle_days"] == 30.0
