"""The till: sales and returns booked once however often the till retries, with points, tier and tags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import MemberTag, MemberTier, PointsEntry, Transaction
from server.tags.service import create_rule
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product

TILL = "/api/v1/transactions"
NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)


def _post(client: TestClient, context: AppContext, staff: Any, body: dict[str, Any], key: str) -> Any:
    headers = auth(context, staff) | {"Idempotency-Key": key}
    return client.post(TILL, json=body, headers=headers)


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_purchase_upgrades_a_return_downgrades_and_a_replay_counts_once(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a, phone="13800138000")
    make_product(session, name="Bag", sku="BAG-1", category="bags", price="450.00")
    make_product(session, name="Belt", sku="BELT-1", category="belts", price="60.00")
    create_rule(session, "bag lover", {"fact": "categories_365d", "op": "contains", "value": "bags"}, NOW)
    session.commit()
    pin_clock(client, NOW)
    store = world.store_a.id
    # 450.00 on 1 June: still "new" (growing needs 500.00 or 4 visits).
    first = _post(
        client,
        context,
        world.cashier_a,
        {"store_id": store, "member_card": ann.card_number, "lines": [{"sku": "BAG-1", "quantity": 1}]}
        | {"occurred_at": "2024-06-01T10:00:00+00:00"},
        "till-1:0001",
    )
    assert first.status_code == 201, first.text
    assert first.json()["points"]["points"] == 450 and first.json()["tier_change"] is None
    # Two belts at 60.00 less 10.00 discount (the manager's) today: 110.00 more, 560.00 in the window,
    # up to "growing".
    sale = {
        "store_id": store,
        "member_phone": "+86 138 0013 8000",
        "lines": [{"sku": "BELT-1", "quantity": 2, "discount": "10.00"}],
    }
    second = _post(client, context, world.manager_a, sale, "till-1:0002")
    assert second.status_code == 201, second.text
    body = second.json()
    txn = body["transaction"]
    assert (txn["total_amount"], txn["discount_amount"], txn["coupon_code"]) == (
        "110.00",
        "10.00",
        None,
    )
    assert txn["lines"][0]["amount"] == "110.00" and txn["lines"][0]["unit_price"] == "60.000"
    assert body["points"] == {"entry_id": body["points"]["entry_id"], "kind": "earn", "points": 110}
    assert body["tier_change"]["from_tier"] == "new" and body["tier_change"]["to_tier"] == "growing"
    assert "spend 560.00" in body["tier_change"]["reason"]
    session.expire_all()
    assert session.scalar(select(MemberTag.tag).where(MemberTag.member_id == ann.id)) == "bag lover"
    # The till did not hear back and sends the same sale again: same receipt, nothing counted twice.
    replay = _post(client, context, world.manager_a, sale, "till-1:0002")
    assert replay.status_code == 200 and replay.json() == body
    assert _count(session, Transaction) == 2 and _count(session, PointsEntry) == 2
    # A belt comes back: 55.00 refunded (what was paid for it), 55 points reversed; 505.00 is still growing.
    belt_line = txn["lines"][0]["id"]
    one_back = {
        "store_id": store,
        "kind": "return",
        "original_transaction_id": txn["id"],
        "original_receipt": txn["receipt"],
        "lines": [{"original_line_id": belt_line, "quantity": -1}],
    }
    back = _post(client, context, world.cashier_a, one_back, "till-1:0003")
    assert back.status_code == 201, back.text
    returned = back.json()
    assert (
        returned["transaction"]["total_amount"] == "-55.00" and returned["transaction"]["member_id"] == ann.id
    )
    assert returned["points"]["points"] == -55 and returned["tier_change"] is None
    # The second belt comes back too: 450.00 left in the window, back down to "new".
    last = _post(client, context, world.cashier_a, one_back, "till-1:0004")
    assert last.status_code == 201, last.text
    assert last.json()["tier_change"]["to_tier"] == "new" and last.json()["points"]["points"] == -55
    session.expire_all()
    assert session.scalar(select(MemberTier.tier).where(MemberTier.member_id == ann.id)) == "new"
    balance = session.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == ann.id))
    assert balance == 450
    # Nothing is left of that line to return.
    more = _post(client, context, world.cashier_a, one_back, "till-1:0005")
    assert more.status_code == 422
    assert "only 0 of the 2 x BELT-1" in more.json()["detail"]


def test_a_key_reused_for_another_sale_is_a_conflict(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    make_product(session, sku="MUG-1", price="5.00")
    session.commit()
    line = {"store_id": world.store_a.id, "lines": [{"sku": "MUG-1", "quantity": 1}]}
    assert _post(client, context, world.cashier_a, line, "k-1").status_code == 201
    other = {"store_id": world.store_a.id, "lines": [{"sku": "MUG-1", "quantity": 3}]}
    clash = _post(client, context, world.cashier_a, other, "k-1")
    assert clash.status_code == 409 and "k-1" in clash.json()["detail"]


def test_an_anonymous_sale_earns_nothing(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    make_product(session, sku="MUG-1", price="5.00")
    session.commit()
    sale = {"store_id": world.store_a.id, "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "4.50"}]}
    response = _post(client, context, world.manager_a, sale, "anon-1")
    assert response.status_code == 201, response.text
    assert response.json()["transaction"]["member_id"] is None and response.json()["points"] is None
    assert response.json()["transaction"]["total_amount"] == "9.00"
    assert _count(session, PointsEntry) == 0


def test_bad_sales_are_refused_with_the_reason(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    make_product(session, sku="MUG-1", price="5.00")
    session.commit()
    store = world.store_a.id

    def refused(body: dict[str, Any], staff: Any = world.cashier_a, key: str | None = "bad") -> Any:
        headers = auth(context, staff) | ({"Idempotency-Key": key} if key else {})
        return client.post(TILL, json={"store_id": store} | body, headers=headers)

    mug = [{"sku": "MUG-1", "quantity": 1}]
    unknown = refused({"lines": [{"sku": "NOPE", "quantity": 1}]})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("lines[0].sku: no product")
    negative = refused({"lines": [{"sku": "MUG-1", "quantity": -1}]})
    assert negative.status_code == 422 and "lines[0].quantity" in negative.json()["detail"]
    too_much = refused({"lines": [{"sku": "MUG-1", "quantity": 1, "discount": "6.00"}]}, world.manager_a)
    assert too_much.status_code == 422 and "discount" in too_much.json()["detail"]
    assert (
        refused({"lines": mug, "member_card": "0000"}).json()["detail"]
        == "member: no member matches the card or phone number given"
    )
    twice = refused({"lines": mug, "member_id": ann.id, "member_card": ann.card_number})
    assert twice.status_code == 422
    assert refused({"lines": mug}, key=None).status_code == 422  # no idempotency key
    assert refused({"lines": mug, "occurred_at": "2099-01-01T00:00:00+00:00"}).status_code == 422
    no_sale = refused({"kind": "return", "lines": [{"original_line_id": 1, "quantity": -1}]})
    assert no_sale.status_code == 422 and "original_transaction_id" in no_sale.json()["detail"]
    assert refused({"lines": mug}, staff=world.clerk_b).status_code == 403  # not their store
    assert refused({"lines": mug}, staff=world.analyst).status_code == 403  # not a till role
    assert _count(session, Transaction) == 0


def test_returns_one_by_one_refund_exactly_what_the_line_cost(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    make_product(session, sku="CUP-1", price="10.00")
    session.commit()
    store = world.store_a.id
    sale = {"store_id": store, "lines": [{"sku": "CUP-1", "quantity": 3, "discount": "1.00"}]}
    sold = _post(client, context, world.manager_a, sale, "cups").json()["transaction"]
    assert sold["total_amount"] == "29.00"
    back = {
        "store_id": store,
        "kind": "return",
        "original_transaction_id": sold["id"],
        "original_receipt": sold["receipt"],
        "lines": [{"original_line_id": sold["lines"][0]["id"], "quantity": -1}],
    }
    refunds = [
        _post(client, context, world.cashier_a, back, f"cup-back-{n}").json()["transaction"]["total_amount"]
        for n in range(3)
    ]
    assert refunds == ["-9.67", "-9.66", "-9.67"]  # 29.00 in all, not 29.01
