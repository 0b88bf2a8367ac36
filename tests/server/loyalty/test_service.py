"""Applying sales and returns to the ledger and the tier, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.errors import Conflict
from server.db.tables import MemberEvent, MemberTier, PointsAllocation, PointsEntry, TierChange
from server.loyalty.config import save_setting
from server.loyalty.review import review_tiers
from server.loyalty.service import apply_transaction, points_summary, tier_progress
from tests.server.loyalty.rows import Shop, at


def _balance(session: Session, member_id: int) -> int:
    return int(
        session.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == member_id)) or 0
    )


def test_a_sale_earns_points_once_however_often_it_is_replayed(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    sale = shop.sale(ann, at(2024, 3, 1), [(shop.product(), 3, "12.50"), (shop.product("postage"), 1, "5")])
    first = apply_transaction(session, sale.id, at(2024, 3, 1), idempotency_key="till-7:receipt-1001")
    assert first is not None and not first.replayed
    assert first.entry.points == 42  # 37.50 + 5.00 at one point per unit, rounded down per line
    again = apply_transaction(session, sale.id, at(2024, 3, 1), idempotency_key="till-7:receipt-1001")
    other_key = apply_transaction(session, sale.id, at(2024, 3, 2), idempotency_key="till-7:retry")
    assert again is not None and again.replayed and again.entry.id == first.entry.id
    assert other_key is not None and other_key.replayed
    assert _balance(session, ann.id) == 42
    assert session.scalar(select(func.count()).select_from(PointsEntry)) == 1


def test_a_key_used_for_another_sale_is_a_conflict(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    one = shop.sale(ann, at(2024, 3, 1), [(shop.product(), 1, "10")])
    two = shop.sale(ann, at(2024, 3, 2), [(shop.product(), 1, "10")])
    apply_transaction(session, one.id, at(2024, 3, 1), idempotency_key="receipt-1")
    with pytest.raises(Conflict):
        apply_transaction(session, two.id, at(2024, 3, 2), idempotency_key="receipt-1")


def test_anonymous_sales_earn_nothing(session: Session) -> None:
    shop = Shop(session)
    sale = shop.sale(None, at(2024, 3, 1), [(shop.product(), 1, "10")])
    assert apply_transaction(session, sale.id, at(2024, 3, 1)) is None


def test_a_return_reverses_the_points_of_the_lines_returned(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    vase, lamp = shop.product("home"), shop.product("lighting")
    sale = shop.sale(ann, at(2024, 3, 1), [(vase, 3, "20.00"), (lamp, 1, "45.00")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    assert _balance(session, ann.id) == 105
    back = shop.give_back(sale, at(2024, 3, 9), {1: 1})  # one of the three vases
    out = apply_transaction(session, back.id, at(2024, 3, 9))
    assert out is not None and out.entry.points == -20
    assert _balance(session, ann.id) == 85
    assert apply_transaction(session, back.id, at(2024, 3, 9)) is not None  # replayed
    assert _balance(session, ann.id) == 85
    rest = shop.give_back(sale, at(2024, 3, 10), {1: 2, 2: 1})
    apply_transaction(session, rest.id, at(2024, 3, 10))
    assert _balance(session, ann.id) == 0


def test_a_return_after_redeeming_leaves_a_debt_the_next_sale_pays(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    sale = shop.sale(ann, at(2024, 3, 1), [(shop.product(), 1, "200.00")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    redeem = PointsEntry(
        member_id=ann.id, kind="redeem", points=-150, idempotency_key="r1", occurred_at=at(2024, 3, 2)
    )
    session.add(redeem)
    session.flush()
    session.add(PointsAllocation(debit_id=redeem.id, lot_id=_lot(session, sale.id), points=150))
    session.flush()
    back = shop.give_back(sale, at(2024, 3, 5), {1: 1})
    apply_transaction(session, back.id, at(2024, 3, 5))
    summary = points_summary(session, ann.id, at(2024, 3, 5))
    assert (summary.balance, summary.available, summary.debt) == (-150, 0, 150)
    later = shop.sale(ann, at(2024, 4, 1), [(shop.product(), 1, "400.00")])
    apply_transaction(session, later.id, at(2024, 4, 1))
    summary = points_summary(session, ann.id, at(2024, 4, 1))
    assert (summary.balance, summary.available, summary.debt) == (250, 250, 0)


def _lot(session: Session, transaction_id: int) -> int:
    return int(
        session.scalar(select(PointsEntry.id).where(PointsEntry.transaction_id == transaction_id)) or 0
    )


def test_an_unlinked_return_takes_back_the_base_rate(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    save_setting(
        session,
        "earn",
        {"multipliers": [{"kind": "category", "categories": ["home"], "factor": 2}]},
        at(2024, 1, 1),
    )
    sale = shop.sale(ann, at(2024, 3, 1), [(shop.product("home"), 2, "30.00")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    back = shop.give_back(sale, at(2024, 3, 3), {1: 1}, link_lines=False)
    out = apply_transaction(session, back.id, at(2024, 3, 3))
    assert out is not None and out.entry.points == -30 and out.entry.detail["unlinked"]


def test_a_member_crosses_a_tier_boundary_up_then_down(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    staff = shop.consultant(ann)
    ladder = {
        "tiers": [
            {"name": "new", "min_spend": 0, "min_visits": 0},
            {"name": "growing", "min_spend": 500, "min_visits": 50},
            {"name": "VIP", "min_spend": 5000, "min_visits": 100},
        ],
        "window_days": 90,
    }
    save_setting(session, "tiers", ladder, at(2024, 1, 1))
    coat = shop.product("outerwear")
    sale = shop.sale(ann, at(2024, 1, 10), [(coat, 1, "300.00")])
    assert apply_transaction(session, sale.id, at(2024, 1, 10)).tier.new == "new"  # type: ignore[union-attr]
    second = shop.sale(ann, at(2024, 2, 1), [(coat, 1, "250.00")])
    outcome = apply_transaction(session, second.id, at(2024, 2, 1))
    assert outcome is not None and outcome.tier is not None
    assert (outcome.tier.current, outcome.tier.new) == ("new", "growing")
    assert tier_progress(session, ann.id, at(2024, 2, 1)).text == "4450.00 more or 98 more visits to VIP"
    # 90 days after 10 January the first sale leaves the window: 250 < 500 on 9 April, not on 8 April.
    assert review_tiers(session, at(2024, 4, 8, 23)).downgraded == 0
    assert review_tiers(session, at(2024, 4, 9, 1)).downgraded == 1
    changes = session.scalars(
        select(TierChange).where(TierChange.member_id == ann.id).order_by(TierChange.id)
    ).all()
    assert [(c.from_tier, c.to_tier, c.trigger) for c in changes] == [
        ("new", "growing", "purchase"),
        ("growing", "new", "review"),
    ]
    assert "spend 250.00 and 1 visit over the last 90 days is below" in changes[1].reason
    events = session.scalars(select(MemberEvent).where(MemberEvent.kind == "tier_change")).all()
    assert [e.staff_id for e in events] == [staff.id, staff.id]
    assert session.get(MemberTier, ann.id).tier == "new"  # type: ignore[union-attr]


def test_rows_later_than_now_do_not_count_yet(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    first = shop.sale(ann, at(2024, 5, 1, 9), [(shop.product(), 1, "20.00")])
    apply_transaction(session, first.id, at(2024, 5, 1, 9))
    back = shop.give_back(first, at(2024, 5, 1, 14), {1: 1})
    shop.sale(ann, at(2024, 5, 1, 15), [(shop.product(), 1, "900.00")])  # rung up, not yet applied
    decision = apply_transaction(session, back.id, at(2024, 5, 1, 14)).tier  # type: ignore[union-attr]
    assert decision is not None and (decision.new, decision.direction) == ("new", "same")


def test_a_return_can_downgrade_at_once(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    sale = shop.sale(ann, at(2024, 5, 1), [(shop.product(), 1, "600.00")])
    assert apply_transaction(session, sale.id, at(2024, 5, 1)).tier.new == "growing"  # type: ignore[union-attr]
    back = shop.give_back(sale, at(2024, 5, 2), {1: 1})
    decision = apply_transaction(session, back.id, at(2024, 5, 2) + timedelta(hours=1)).tier  # type: ignore[union-attr]
    assert decision is not None and decision.direction == "down" and decision.new == "new"
    assert session.get(MemberTier, ann.id).spend == Decimal("0.00")  # type: ignore[union-attr]
