"""Members' notices from loyalty: a tier change, points and benefits about to lapse, each queued once in
the member's language through the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import MemberTier, OutboxMessage, TierChange
from server.loyalty.benefit_service import remind_benefits
from server.loyalty.config import save_setting
from server.loyalty.review import remind_expiring_points, review_tiers
from server.loyalty.service import apply_transaction
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product
from tests.server.loyalty.rows import Shop, at

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def _messages(session: Session, kind: str) -> list[OutboxMessage]:
    session.expire_all()
    stmt = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    return list(session.scalars(stmt))


def _sell(client: TestClient, context: AppContext, world: World, card: str | None, key: str) -> Any:
    body = {"store_id": world.store_a.id, "member_card": card, "lines": [{"sku": "BAG-9", "quantity": 1}]}
    headers = auth(context, world.cashier_a) | {"Idempotency-Key": key}
    return client.post("/api/v1/transactions", json=body, headers=headers)


def test_a_sale_at_the_till_tells_the_member_of_the_new_tier_in_chinese(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    mei = make_member(session, context.keys, world.store_a, name="王美", phone="13800138001")
    mei.locale = "zh-CN"
    make_product(session, name="Bag", sku="BAG-9", category="bags", price="600.00")
    session.commit()
    pin_clock(client, NOW)
    sold = _sell(client, context, world, mei.card_number, "till-9:0001")
    assert sold.status_code == 201, sold.text
    assert _sell(client, context, world, mei.card_number, "till-9:0001").status_code in (200, 201)  # replay
    change = session.scalars(select(TierChange).where(TierChange.member_id == mei.id)).one()
    [message] = _messages(session, "tier_change")
    assert (message.member_id, message.dedup_key, message.lang) == (mei.id, f"tier-change:{change.id}", "zh")
    # The tiers as members read them, not their keys (new, growing).
    assert message.body == "【Store A】王美，您的会员等级已由新会员变更为成长会员。"
    assert (message.channel, message.status) == ("sms", "queued")


def test_the_nightly_review_announces_each_change_once(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member("Ann")
    session.add(MemberTier(member_id=ann.id, tier="VIP", since=at(2023, 1, 1), reviewed_at=at(2023, 1, 1)))
    session.flush()
    first = review_tiers(session, at(2024, 6, 1, 2))
    again = review_tiers(session, at(2024, 6, 1, 3))
    assert (first.downgraded, first.notices, again.downgraded, again.notices) == (1, 1, 0, 0)
    change = session.scalars(select(TierChange).where(TierChange.member_id == ann.id)).one()
    [message] = _messages(session, "tier_change")
    assert (message.dedup_key, message.lang) == (f"tier-change:{change.id}", "en")
    assert message.body == f"{shop.store.name}: Ann, your membership tier changed from VIP to New member."


def test_points_about_to_expire_are_told_once_in_the_members_language(session: Session) -> None:
    save_setting(session, "earn", {"lifetime_days": 40}, at(2024, 1, 1))
    shop = Shop(session)
    mei = shop.member("王美", consent=True)
    mei.locale = "zh"
    sale = shop.sale(mei, at(2024, 3, 1), [(shop.product(), 1, "80")])
    apply_transaction(session, sale.id, at(2024, 3, 1))
    queued: dict[str, int] = {}
    remind_expiring_points(session, at(2024, 3, 11), queued=queued)
    remind_expiring_points(session, at(2024, 3, 12), queued=queued)
    assert queued == {"points_expiry": 1}
    [message] = _messages(session, "points_expiry")
    assert message.dedup_key == f"points-expiring:{mei.id}:2024-04-10"
    assert message.body.startswith(f"【{shop.store.name}】王美，您有80积分将于2024年4月10日到期")


def test_a_benefit_about_to_lapse_is_told_once_under_the_reminders_key(session: Session) -> None:
    shop = Shop(session)
    ann = shop.member("Ann", birthday=date(1990, 6, 14))
    session.add(MemberTier(member_id=ann.id, tier="VIP", since=at(2024, 1, 1), reviewed_at=at(2024, 1, 1)))
    session.flush()
    queued: dict[str, int] = {}
    assert remind_benefits(session, at(2024, 6, 20), queued=queued) == 1
    assert remind_benefits(session, at(2024, 6, 21), queued=queued) == 0
    assert queued == {"benefit_expiry": 1}
    [message] = _messages(session, "benefit_expiry")
    assert message.dedup_key == f"benefit-expiring:{ann.id}:birthday_discount:2024-06-30"
    assert message.variables is not None and message.variables["expires_on"] == "2024-06-30"
    assert "expires on 2024-06-30" in message.body and message.variables["benefit_name"] in message.body
