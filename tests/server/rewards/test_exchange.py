"""The rewards catalogue and points exchanges: stock and points exact under races, codes, cancel refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, OutboxMessage, PointsEntry, Reward, RewardExchange
from server.loyalty.service import apply_transaction, points_summary
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction
from tests.fixtures.race import race

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)
BAG = {"code": "TOTE-BAG", "kind": "gift", "name_en": "Canvas tote bag", "name_zh": "帆布袋", "points": 800}


def _member(session: Session, context: AppContext, world: World, points: str) -> Member:
    """A member of store A who earned `points` points with one sale on 1 June 2024."""
    member = make_member(session, context.keys, world.store_a)
    item = make_product(session, price=points)
    sale = make_transaction(
        session, world.store_a, member, [(item, 1, points)], datetime(2024, 6, 1, tzinfo=UTC)
    )
    apply_transaction(session, sale.id, sale.occurred_at)
    session.commit()
    return member


def _reward(client: TestClient, context: AppContext, world: World, **terms: Any) -> dict[str, Any]:
    made = client.post("/api/v1/rewards", json=BAG | terms, headers=auth(context, world.admin))
    assert made.status_code == 201, made.text
    return made.json()


def _exchange(
    client: TestClient, context: AppContext, staff: Any, member: Member, reward_id: int, key: str, **body: Any
) -> Any:
    headers = auth(context, staff) | {"Idempotency-Key": key}
    body = {"reward_id": reward_id, "store_id": member.home_store_id} | body
    return client.post(f"/api/v1/members/{member.id}/reward-exchanges", json=body, headers=headers)


def _available(session: Session, member: Member) -> int:
    session.expire_all()
    return points_summary(session, member.id, NOW).available


def test_an_exchange_spends_the_points_takes_the_stock_and_replays(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "2000.00")
    bag = _reward(client, context, world, stock=3)
    first = _exchange(client, context, world.cashier_a, member, bag["id"], "x-1")
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["available"]) == ("to_collect", 1200)
    again = _exchange(client, context, world.cashier_a, member, bag["id"], "x-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["replayed"]
    assert _available(session, member) == 1200
    assert session.get(Reward, bag["id"]).stock == 2  # type: ignore[union-attr]
    entry = session.scalar(select(PointsEntry).where(PointsEntry.kind == "redeem"))
    assert entry is not None and entry.points == -800
    # Handed over later, in the store.
    done = client.post(
        f"/api/v1/reward-exchanges/{first.json()['id']}/collect", headers=auth(context, world.clerk_a)
    )
    assert done.status_code == 200 and done.json()["status"] == "collected"
    cancel = client.post(
        f"/api/v1/reward-exchanges/{first.json()['id']}/cancel",
        json={"reason": "changed mind"},
        headers=auth(context, world.manager_a),
    )
    assert cancel.status_code == 409 and "collected" in cancel.json()["detail"]


@pytest.mark.parametrize("same_member", [True, False], ids=["one member", "many members"])
def test_twenty_parallel_exchanges_of_the_last_five_hand_out_five(
    client: TestClient, session: Session, context: AppContext, world: World, same_member: bool
) -> None:
    pin_clock(client, NOW)
    bag = _reward(client, context, world, stock=5)
    members = (
        [_member(session, context, world, "4900.00")] * 20
        if same_member
        else [_member(session, context, world, "1000.00") for _ in range(20)]
    )
    answers = race(20, lambda i: _exchange(client, context, world.cashier_a, members[i], bag["id"], f"k-{i}"))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 5 + [409] * 15, [a.text for a in answers if a.status_code not in (201, 409)]
    assert all("out of stock" in a.json()["detail"] for a in answers if a.status_code == 409)
    session.expire_all()
    assert session.get(Reward, bag["id"]).stock == 0  # type: ignore[union-attr]
    assert len(list(session.scalars(select(RewardExchange)))) == 5
    spent = (
        sum(4900 - _available(session, m) for m in {m.id: m for m in members}.values())
        if same_member
        else sum(1000 - _available(session, m) for m in members)
    )
    assert spent == 5 * 800  # no points taken for an exchange that lost the race


def test_a_per_member_limit_holds_under_parallel_requests(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "4900.00")
    bag = _reward(client, context, world, per_member_limit=2)
    answers = race(20, lambda i: _exchange(client, context, world.cashier_a, member, bag["id"], f"lim-{i}"))
    assert sorted(a.status_code for a in answers) == [201] * 2 + [409] * 18
    assert _available(session, member) == 4900 - 1600


def test_a_large_exchange_needs_the_member_s_code(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "7000.00")
    kettle = _reward(client, context, world, code="KETTLE", points=6000, stock=1)
    sent = _exchange(client, context, world.cashier_a, member, kettle["id"], "big")
    assert sent.status_code == 202 and sent.json()["status"] == "code_sent", sent.text
    code_sent = select(OutboxMessage).where(
        OutboxMessage.member_id == member.id, OutboxMessage.kind == "redemption_code"
    )  # the member's sale also queued a tier_change message
    message = session.scalar(code_sent)
    assert message is not None and message.secret_encrypted is not None
    code = context.keys.decrypt(message.secret_encrypted)
    wrong = "111111" if code != "111111" else "222222"
    bad = _exchange(client, context, world.cashier_a, member, kettle["id"], "big", code=wrong)
    assert bad.status_code == 422 and bad.json()["attempts_left"] == 4
    assert session.get(Reward, kettle["id"]).stock == 1  # type: ignore[union-attr]
    good = _exchange(
        client, context, world.cashier_a, member, kettle["id"], "big", code=code, handed_over=True
    )
    assert good.status_code == 201 and good.json()["status"] == "collected", good.text
    assert _available(session, member) == 1000


def test_cancelling_a_gift_not_handed_over_gives_back_points_and_stock_once(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "1000.00")
    bag = _reward(client, context, world, stock=1)
    made = _exchange(client, context, world.cashier_a, member, bag["id"], "c-1").json()
    url = f"/api/v1/reward-exchanges/{made['id']}/cancel"
    answers = race(
        20, lambda i: client.post(url, json={"reason": "out of colour"}, headers=auth(context, world.clerk_a))
    )
    assert {a.status_code for a in answers} == {200}
    assert sum(not a.json()["replayed"] for a in answers) == 1
    assert _available(session, member) == 1000
    refund = session.scalar(select(PointsEntry).where(PointsEntry.kind == "adjust"))
    # The refunded points expire when the lot they came from would have (earned 1 June, a year's life).
    assert refund is not None and refund.points == 800 and refund.expires_on == date(2025, 6, 1)
    assert session.get(Reward, bag["id"]).stock == 1  # type: ignore[union-attr]
    assert _exchange(client, context, world.cashier_a, member, bag["id"], "c-2").status_code == 201


def test_the_catalogue_tells_a_clerk_what_a_member_can_have_and_why_not(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    pin_clock(client, NOW)
    member = _member(session, context, world, "900.00")
    member.locale = "zh"
    session.commit()
    _reward(client, context, world)
    _reward(client, context, world, code="TEA-SET", name_en="Tea set", name_zh="茶具", points=1500)
    _reward(
        client,
        context,
        world,
        code="GOLD-MUG",
        name_en="Gold mug",
        name_zh="金杯",
        points=200,
        tiers=["loyal"],
    )
    _reward(client, context, world, code="SOLD-OUT", name_en="Umbrella", name_zh="雨伞", points=300, stock=0)
    _reward(client, context, world, code="ELSEWHERE", name_en="Fan", points=300, store_ids=[world.store_b.id])
    listed = client.get(f"/api/v1/rewards?member_id={member.id}", headers=auth(context, world.clerk_a))
    assert listed.status_code == 200, listed.text
    got = {r["code"]: (r["name"], r["available"], r["reason"]) for r in listed.json()}
    assert got["TOTE-BAG"] == ("帆布袋", True, None)
    assert got["TEA-SET"] == ("茶具", False, "needs 600 more points")
    assert got["GOLD-MUG"][1:] == (False, "for loyal members only")
    assert got["SOLD-OUT"][1:] == (False, "out of stock")
    assert got["ELSEWHERE"][1:] == (False, "not offered in this store")


def test_bad_rewards_are_refused_with_the_reason(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    admin = auth(context, world.admin)
    cases = [
        (BAG | {"points": 50}, "at least 100 points"),
        (BAG | {"name_en": "", "name_zh": ""}, "give the reward a name"),
        (BAG | {"tiers": ["Platinum Plus"]}, "unknown tier"),
        (BAG | {"kind": "coupon"}, "needs coupon_template_id"),
        (BAG | {"valid_from": "2024-07-01", "valid_until": "2024-06-01"}, "before valid_from"),
        (BAG | {"product_id": 999999}, "product 999999 not found"),
    ]
    for body, reason in cases:
        answer = client.post("/api/v1/rewards", json=body, headers=admin)
        assert answer.status_code == 422 and reason in answer.text, (body, answer.text)
    assert client.post("/api/v1/rewards", json=BAG, headers=admin).status_code == 201
    assert client.post("/api/v1/rewards", json=BAG | {"code": "tote-bag"}, headers=admin).status_code == 409
    refused = client.post(
        "/api/v1/rewards", json=BAG | {"code": "X2"}, headers=auth(context, world.manager_a)
    )
    assert refused.status_code == 403


def test_stock_is_added_and_taken_but_never_below_zero(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    bag = _reward(client, context, world, stock=2)
    url, admin = f"/api/v1/rewards/{bag['id']}", auth(context, world.admin)
    terms = {k: v for k, v in BAG.items() if k not in ("code", "kind")}
    more = client.put(url, json=terms | {"stock_change": 10}, headers=admin)
    assert more.status_code == 200 and more.json()["stock"] == 12 and more.json()["version"] == 2
    too_many = client.put(url, json=terms | {"stock_change": -13}, headers=admin)
    assert too_many.status_code == 422 and "only 12 left" in too_many.json()["detail"]
    session.expire_all()
    assert session.get(Reward, bag["id"]).stock == 12  # type: ignore[union-attr]
