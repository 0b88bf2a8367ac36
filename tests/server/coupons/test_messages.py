"""An issued coupon reaches the member: one message in their language with the code, never two."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import Coupon, OutboxMessage
from tests.server.coupons.conftest import Shop


def _messages(session: Session, member_id: int) -> list[OutboxMessage]:
    session.expire_all()
    stmt = select(OutboxMessage).where(
        OutboxMessage.member_id == member_id, OutboxMessage.kind == "coupon_issued"
    )
    return list(session.scalars(stmt))


def test_the_member_is_told_once_with_the_code_in_their_language(shop: Shop, session: Session) -> None:
    shop.ann.locale = "zh"
    session.commit()
    template = shop.template(terms={"kind": "amount_off", "amount": "50.00", "min_spend": "300.00"})
    first = shop.issue(shop.ann, template["id"], "welcome-ann")
    again = shop.issue(shop.ann, template["id"], "welcome-ann")
    assert first.status_code == 201 and again.status_code == 200
    code = first.json()["code"]
    [message] = _messages(session, shop.ann.id)
    assert message.status == "queued" and code in message.body
    assert "满300减50" in message.body and "立减50元券" in message.body, message.body
    english = shop.template(
        name_en="Belt deal", name_zh="腰带优惠", terms={"kind": "percent_off", "percent": 20}
    )
    shop.issue(shop.bob, english["id"], "belt-bob")
    [to_bob] = _messages(session, shop.bob.id)
    assert "Belt deal: 20% off" in to_bob.body and "Show the code at the till" in to_bob.body


def test_a_coupon_refused_at_its_limit_sends_nothing(shop: Shop, session: Session) -> None:
    template = shop.template(per_member_limit=1)
    assert shop.issue(shop.ann, template["id"], "one").status_code == 201
    assert shop.issue(shop.ann, template["id"], "two").status_code == 409
    assert len(_messages(session, shop.ann.id)) == 1
    assert len(list(session.scalars(select(Coupon)))) == 1
