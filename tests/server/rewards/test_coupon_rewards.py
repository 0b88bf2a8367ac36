"""Points for a coupon: the member's own, taken at the till; a limit hit gives the points back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Coupon, Member
from server.loyalty.service import apply_transaction, points_summary
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction
from tests.fixtures.race import race

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def _member(session: Session, context: AppContext, world: World, points: str) -> Member:
    member = make_member(session, context.keys, world.store_a)
    item = make_product(session, price=points)
    sale = make_transaction(
        session, world.store_a, member, [(item, 1, points)], datetime(2024, 6, 1, tzinfo=UTC)
    )
    apply_transaction(session, sale.id, sale.occurred_at)
    session.commit()
    return member


def _coupon_reward(client: TestClient, context: AppContext, world: World, **terms: Any) -> dict[str, Any]:
    admin = auth(context, world.admin)
    template = client.post(
        "/api/v1/coupons/templates",
        json={
            "name_zh": "积分兑换20元券",
            "name_en": "20 off for points",
            "purpose": "points_exchange",
            "terms": {"kind": "amount_off", "amount": "20.00"},
            "valid_days": 30,
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    body = {"code": "COUPON-20", "kind": "coupon", "name_en": "20 off", "name_zh": "20元券", "points": 1000}
    made = client.post(
        "/api/v1/rewards", json=body | {"coupon_template_id": template.json()["id"]} | terms, headers=admin
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _exchange(
    client: TestClient, context: AppContext, world: World, member: Member, reward: int, key: str
) -> Any:
    headers = auth(context, world.cashier_a) | {"Idempotency-Key": key}
    body = {"reward_id": reward, "store_id": world.store_a.id}
    return client.post(f"/api/v1/members/{member.id}/reward-exchanges", json=body, headers=headers)


def test_points_buy_a_coupon_the_till_then_takes(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "2500.00")
    reward = _coupon_reward(client, context, world)
    made = _exchange(client, context, world, member, reward["id"], "cp-1")
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "issued" and made.json()["available"] == 1500
    coupon = session.get(Coupon, made.json()["coupon_id"])
    assert coupon is not None and coupon.member_id == member.id and coupon.source == "points_exchange"
    # Only one per member (the template's default): the second exchange is refused and costs nothing.
    again = _exchange(client, context, world, member, reward["id"], "cp-2")
    assert again.status_code == 409 and "already holds" in again.json()["detail"], again.text
    session.expire_all()
    assert points_summary(session, member.id, NOW).available == 1500
    # The till takes the coupon's 20 off.
    mug = make_product(session, name="Mug", price="60.00")
    session.commit()
    sale = client.post(
        "/api/v1/transactions",
        json={
            "store_id": world.store_a.id,
            "member_id": member.id,
            "lines": [{"sku": mug.sku, "quantity": 1}],
            "coupon_codes": [coupon.code],
        },
        headers=auth(context, world.cashier_a) | {"Idempotency-Key": "sale-1"},
    )
    assert sale.status_code == 201, sale.text
    assert sale.json()["transaction"]["discount_amount"] == "20.00", sale.text
    # A coupon issued for points is the member's: the exchange cannot be cancelled for the points.
    cancel = client.post(
        f"/api/v1/reward-exchanges/{made.json()['id']}/cancel",
        json={"reason": "mistake"},
        headers=auth(context, world.manager_a),
    )
    assert cancel.status_code == 409 and "issued a coupon" in cancel.json()["detail"]


def test_twenty_members_racing_for_five_coupons_get_five(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    members = [_member(session, context, world, "1200.00") for _ in range(20)]
    reward = _coupon_reward(client, context, world, stock=5)
    answers = race(20, lambda i: _exchange(client, context, world, members[i], reward["id"], f"r-{i}"))
    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * 15, [a.text for a in answers]
    session.expire_all()
    assert session.scalar(select(func.count(Coupon.id))) == 5
    spent = sum(1200 - points_summary(session, m.id, NOW).available for m in members)
    assert spent == 5 * 1000
