"""Nightly loyalty work: points expire on exactly the right day, reminders go out once, benefits are used."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.core.errors import InvalidInput
from server.db.tables import MemberEvent, MemberTier, OutboxMessage, PointsEntry
from server.loyalty.benefit_service import member_benefits, remind_benefits, use_benefit
from server.loyalty.config import save_setting
from server.loyalty.redemption import redeem_points
from server.loyalty.review import expire_points, remind_expiring_points
from server.loyalty.service import apply_transaction, points_summary
from server.messaging.consent import refusal
from tests.server.loyalty.rows import Shop, at


def test_points_expire_on_exactly_the_right_day(session: Session, context: AppContext) -> None:
    save_setting(session, "earn", {"lifetime_days": 30}, at(2024, 1, 1))
    shop = Shop(session)
    ann = shop.member()
    first = shop.sale(ann, at(2024, 3, 1, 18), [(shop.product(), 1, "100")])
    second = shop.sale(ann, at(2024, 3, 2, 9), [(shop.product(), 1, "200")])
    for sale in (first, second):
        apply_transaction(session, sale.id, sale.occurred_at)
    redeem_points(
        session, context.keys, ann.id, 130, "r-1", at(2024, 3, 10)
    )  # 100 from March 1st, 30 from 2nd
    assert points_summary(session, ann.id, at(2024, 3, 30, 23)).expiring == [("2024-04-01", 170)]
    assert (
        expire_points(
            session,
            at(
                2024,
                3,
                30,
                23,
            ),
        )
        == 0
    )
    assert expire_points(session, at(2024, 3, 31, 0)) == 0  # the first lot was spent in full
    assert points_summary(session, ann.id, at(2024, 3, 31, 23)).available == 170
    assert expire_points(session, at(2024, 4, 1, 0)) == 170
    assert expire_points(session, at(2024, 4, 1, 2)) == 0  # a second run finds nothing left
    summary = points_summary(session, ann.id, at(2024, 4, 1, 3))
    assert (summary.balance, summary.available) == (0, 0)


def test_a_return_after_expiry_does_not_take_the_points_twice(session: Session) -> None:
    save_setting(session, "earn", {"lifetime_days": 30}, at(2024, 1, 1))
    shop = Shop(session)
    ann = shop.member()
    sale = shop.sale(ann, at(2024, 3, 1), [(shop.product(), 1, "100")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    later = shop.sale(ann, at(2024, 3, 20), [(shop.product(), 1, "50")])
    apply_transaction(session, later.id, at(2024, 3, 20))
    expire_points(session, at(2024, 3, 31, 1))
    back = shop.give_back(sale, at(2024, 4, 2), {1: 1})
    out = apply_transaction(session, back.id, at(2024, 4, 2))
    assert out is not None and out.entry.points == 0 and out.entry.detail["forgiven"] == 100
    assert points_summary(session, ann.id, at(2024, 4, 2)).available == 50


def test_expiring_points_are_announced_once(session: Session) -> None:
    save_setting(session, "earn", {"lifetime_days": 40}, at(2024, 1, 1))
    shop = Shop(session)
    ann, bob = shop.member(consent=True), shop.member("Bob", consent=False)
    staff = shop.consultant(ann)
    for member, amount in ((ann, "80"), (bob, "1")):
        sale = shop.sale(member, at(2024, 3, 1), [(shop.product(), 1, amount)])
        apply_transaction(session, sale.id, at(2024, 3, 1))
    assert remind_expiring_points(session, at(2024, 3, 10)) == 0  # expiry on 10 April is 31 days away
    assert remind_expiring_points(session, at(2024, 3, 11)) == 2
    assert remind_expiring_points(session, at(2024, 3, 12)) == 0
    events = session.scalars(select(MemberEvent).where(MemberEvent.kind == "points_expiring")).all()
    assert {(e.member_id, e.staff_id, e.text) for e in events} == {
        (ann.id, staff.id, "80 points expire from 2024-04-10"),
        (bob.id, None, "1 point expires from 2024-04-10"),  # as the phone words it (alert.points_expiring)
    }
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "points_expiry")).all()
    # Both are queued; the dispatcher judges consent when it claims them, so Bob's will not go out.
    assert sorted(m.member_id for m in messages) == sorted([ann.id, bob.id])
    assert refusal(session, bob, "sms", "points_expiry") == "the member has not agreed to marketing messages"
    assert refusal(session, ann, "sms", "points_expiry") is None


def test_the_ledger_only_grows(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member()
    sale = shop.sale(ann, at(2024, 3, 1), [(shop.product(), 1, "80")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    shop.give_back(sale, at(2024, 3, 2), {1: 1})
    entries = session.scalars(select(PointsEntry).order_by(PointsEntry.id)).all()
    before = [(e.id, e.points) for e in entries]
    expire_points(session, at(2026, 1, 1))
    after = session.execute(select(PointsEntry.id, PointsEntry.points).order_by(PointsEntry.id)).all()
    assert [tuple(r) for r in after][: len(before)] == before and len(after) == len(before) + 1


def test_benefits_follow_the_tier_and_the_quota(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member(birthday=date(1990, 6, 14))
    session.add(MemberTier(member_id=ann.id, tier="VIP", since=at(2024, 1, 1), reviewed_at=at(2024, 1, 1)))
    session.flush()
    now = at(2024, 6, 20)
    by_code = {b.code: b for b in member_benefits(session, ann.id, now)}
    assert by_code["birthday_discount"].available and by_code["personal_consultant"].available
    use_benefit(session, ann.id, "birthday_discount", now, idempotency_key="till-1:bd")
    use_benefit(session, ann.id, "birthday_discount", now, idempotency_key="till-1:bd")  # replay
    with pytest.raises(InvalidInput, match="used 1 of 1"):
        use_benefit(session, ann.id, "birthday_discount", now, idempotency_key="till-1:bd2")
    bob = shop.member("Bob")
    with pytest.raises(InvalidInput, match="for loyal, VIP members"):
        use_benefit(session, bob.id, "free_wrapping", now)


def test_unused_benefits_are_reminded_before_they_lapse(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member(birthday=date(1990, 6, 14))
    session.add(MemberTier(member_id=ann.id, tier="VIP", since=at(2024, 1, 1), reviewed_at=at(2024, 1, 1)))
    session.flush()
    assert remind_benefits(session, at(2024, 6, 10)) == 0
    assert remind_benefits(session, at(2024, 6, 20)) == 1  # the birthday discount lapses on 30 June
    assert remind_benefits(session, at(2024, 6, 21)) == 0
    texts = session.scalars(select(MemberEvent.text).where(MemberEvent.kind == "benefit_expiring")).all()
    assert texts == ["1 birthday discount use left, expiring in 10 days (2024-06-30)"]
