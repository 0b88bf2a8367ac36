"""The till under a busy Saturday and a hostile cashier: every sale, return and code counted exactly once.

On the code before this change: 20 parallel one-unit returns of a 2-unit sale were accepted up to 18
times on SQLite; a failure after the sale row left the sale committed without its points; a cashier's
`unit_price` minted any number of points; any string passed as a coupon; a Store B clerk booked (and so
opened) a Store A member by id; and any till refunded any store's sale by its number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import IssuedOffer, LookupAudit, Member, PointsEntry, PriceOverride, Transaction
from server.members.repository import visited_store_ids
from server.transactions import till
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member, make_product
from tests.fixtures.race import race

TILL = "/api/v1/transactions"
NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)
N = 20


def _post(client: TestClient, context: AppContext, staff: Any, body: dict[str, Any], key: str) -> Any:
    return client.post(TILL, json=body, headers=auth(context, staff) | {"Idempotency-Key": key})


def _return_one(sale: dict[str, Any], store_id: int) -> dict[str, Any]:
    """A return of one unit of the sale's first line, quoting its receipt."""
    return {
        "store_id": store_id,
        "kind": "return",
        "original_transaction_id": sale["id"],
        "original_receipt": sale["receipt"],
        "lines": [{"original_line_id": sale["lines"][0]["id"], "quantity": -1}],
    }


def _count(session: Session, stmt: Any) -> int:
    session.expire_all()
    return int(session.scalar(stmt) or 0)


@pytest.fixture
def ann(session: Session, context: AppContext, world: World) -> Member:
    member = make_member(session, context.keys, world.store_a, phone="13800138000")
    make_product(session, name="Vase", sku="VASE-1", category="vases", price="229.00")
    make_product(session, name="Mug", sku="MUG-1", category="mugs", price="5.00")
    session.commit()
    return member


def _sale(client: TestClient, context: AppContext, world: World, ann: Member, key: str, qty: int = 2) -> Any:
    body = {"store_id": world.store_a.id, "member_id": ann.id, "lines": [{"sku": "VASE-1", "quantity": qty}]}
    response = _post(client, context, world.cashier_a, body, key)
    assert response.status_code == 201, response.text
    return response.json()["transaction"]


def test_twenty_parallel_returns_take_back_each_unit_once(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    sold = _sale(client, context, world, ann, "vases")
    back = _return_one(sold, world.store_a.id)
    # Half name the member and half do not: the locks must still be taken in one order (PostgreSQL).
    named = back | {"member_id": ann.id}
    answers = race(
        N, lambda i: _post(client, context, world.cashier_a, named if i % 2 else back, f"back-{i}")
    )
    assert sorted(a.status_code for a in answers) == [201, 201] + [422] * (N - 2), [a.text for a in answers]
    refunded = select(func.sum(Transaction.total_amount)).where(Transaction.kind == "return")
    session.expire_all()
    assert session.scalar(refunded) == Decimal("-458.00")
    balance = select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == ann.id)
    assert _count(session, balance) == 0


def test_twenty_parallel_sales_with_one_key_book_once_and_answer_the_same(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    body = {"store_id": world.store_a.id, "member_id": ann.id, "lines": [{"sku": "VASE-1", "quantity": 1}]}
    answers = race(N, lambda i: _post(client, context, world.cashier_a, body, "same-key"))
    assert sorted(a.status_code for a in answers) == [200] * (N - 1) + [201], [a.text for a in answers]
    assert len({a.json()["transaction"]["id"] for a in answers}) == 1
    assert {a.json()["points"]["points"] for a in answers} == {229}
    assert _count(session, select(func.count()).select_from(Transaction)) == 1
    assert _count(session, select(func.count()).where(PointsEntry.member_id == ann.id)) == 1


def test_a_failure_after_the_sale_row_books_nothing_and_the_retry_earns_its_points(
    client: TestClient,
    session: Session,
    context: AppContext,
    world: World,
    ann: Member,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cashier = session.get(type(world.cashier_a), world.cashier_a.id)
    assert cashier is not None
    data = till.TillInput(world.store_a.id, "crash-1", [till.TillLineInput("VASE-1", 1)], member_id=ann.id)

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(till, "apply_transaction", crash)
    with context.sessions() as s, pytest.raises(RuntimeError):
        till.ring_up(s, context.keys, s.merge(cashier), data, region="CN", now=NOW, sessions=context.sessions)
    # The session was never committed: the sale row must not have been either.
    assert _count(session, select(func.count()).select_from(Transaction)) == 0
    monkeypatch.undo()
    with context.sessions() as s:
        booked = till.ring_up(
            s, context.keys, s.merge(cashier), data, region="CN", now=NOW, sessions=context.sessions
        )
        s.commit()
    assert booked.points is not None and booked.points.points == 229


def test_a_replay_completes_a_sale_an_older_crash_left_without_points(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    first = _sale(client, context, world, ann, "half-done", qty=1)
    session.execute(PointsEntry.__table__.delete().where(PointsEntry.transaction_id == first["id"]))
    session.commit()
    body = {"store_id": world.store_a.id, "member_id": ann.id, "lines": [{"sku": "VASE-1", "quantity": 1}]}
    again = _post(client, context, world.cashier_a, body, "half-done")
    assert again.status_code == 200 and again.json()["points"]["points"] == 229


def test_prices_come_from_the_catalogue_and_overrides_need_a_manager(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    store = world.store_a.id

    def ring(staff: Any, line: dict[str, Any], key: str) -> Any:
        return _post(client, context, staff, {"store_id": store, "member_id": ann.id, "lines": [line]}, key)

    minted = ring(world.cashier_a, {"sku": "MUG-1", "quantity": 1, "unit_price": "999999999.00"}, "m1")
    assert minted.status_code == 422 and "above the catalogue price" in minted.text
    cheaper = ring(world.cashier_a, {"sku": "MUG-1", "quantity": 1, "unit_price": "1.00"}, "m2")
    assert cheaper.status_code == 403 and "store manager" in cheaper.json()["detail"]
    discounted = ring(world.clerk_a, {"sku": "MUG-1", "quantity": 1, "discount": "4.00"}, "m3")
    assert discounted.status_code == 403
    many = ring(world.cashier_a, {"sku": "MUG-1", "quantity": 5000}, "m4")
    assert many.status_code == 422 and "at most 999 units" in many.json()["detail"]
    approved = ring(world.manager_a, {"sku": "MUG-1", "quantity": 2, "unit_price": "4.00"}, "m5")
    assert approved.status_code == 201, approved.text
    assert approved.json()["transaction"]["total_amount"] == "8.00"
    session.expire_all()
    audit = session.scalars(select(PriceOverride)).all()
    assert [(o.list_price, o.unit_price, o.approved_by) for o in audit] == [
        (Decimal("5.000"), Decimal("4.000"), world.manager_a.id)
    ]
    assert _count(session, select(func.count()).select_from(Transaction)) == 1


def _offer(session: Session, member: Member, code: str, valid_until: date, **fields: Any) -> IssuedOffer:
    row = IssuedOffer(
        member_id=member.id,
        code=code,
        discount_percent=fields.get("percent", 10),
        categories=fields.get("categories", ["vases"]),
        item_ids=[],
        text="10% off vases",
        valid_until=valid_until,
        model_version="test",
        issued_at=NOW - timedelta(days=3),
        idempotency_key=f"offer-{code}",
        store_id=fields.get("store_id"),
    )
    session.add(row)
    session.commit()
    return row


def test_an_offer_code_is_checked_applied_and_used_once(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    other = make_member(session, context.keys, world.store_a)
    session.commit()
    _offer(session, ann, "AISLE-GOOD-0001", date(2024, 7, 30))
    _offer(session, ann, "AISLE-OLD0-0001", date(2024, 6, 1))
    _offer(session, other, "AISLE-THEI-RS01", date(2024, 7, 30))
    _offer(session, ann, "AISLE-BSTO-RE01", date(2024, 7, 30), store_id=world.store_b.id)
    store = world.store_a.id

    def ring(code: str, key: str, sku: str = "VASE-1") -> Any:
        body = {
            "store_id": store,
            "member_id": ann.id,
            "coupon_code": code,
            "lines": [{"sku": sku, "quantity": 1}],
        }
        return _post(client, context, world.cashier_a, body, key)

    made_up, theirs = ring("SUMMER10", "c1"), ring("AISLE-THEI-RS01", "c2")
    assert made_up.status_code == theirs.status_code == 422
    assert made_up.json()["detail"] == theirs.json()["detail"]
    assert "expired on 2024-06-01" in ring("AISLE-OLD0-0001", "c3").json()["detail"]
    assert "good there only" in ring("AISLE-BSTO-RE01", "c3b").json()["detail"]
    assert "no line of this sale qualifies" in ring("aisle-good-0001", "c4", sku="MUG-1").json()["detail"]
    used = ring(" aisle-good-0001 ", "c5")
    assert used.status_code == 201, used.text
    txn = used.json()["transaction"]
    assert (txn["total_amount"], txn["discount_amount"], txn["coupon_code"]) == (
        "206.10",
        "22.90",
        "AISLE-GOOD-0001",
    )
    again = ring("AISLE-GOOD-0001", "c6")
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    assert _count(session, select(func.count()).select_from(Transaction)) == 1
    # The whole sale comes back: the code is released and pays again.
    back = _return_one(txn, store)
    returned = _post(client, context, world.cashier_a, back, "c7")
    assert returned.status_code == 201 and returned.json()["transaction"]["total_amount"] == "-206.10"
    assert ring("AISLE-GOOD-0001", "c8").status_code == 201


def test_twenty_parallel_sales_with_one_code_redeem_it_once(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    _offer(session, ann, "AISLE-RACE-0001", date(2024, 7, 30))
    body = {
        "store_id": world.store_a.id,
        "member_id": ann.id,
        "coupon_code": "AISLE-RACE-0001",
        "lines": [{"sku": "VASE-1", "quantity": 1}],
    }
    answers = race(N, lambda i: _post(client, context, world.cashier_a, body, f"race-{i}"))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.text for a in answers]
    assert _count(session, select(func.count()).select_from(Transaction)) == 1


def test_the_till_identifies_members_through_the_audited_look_up(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    line = [{"sku": "MUG-1", "quantity": 1}]
    store_b = world.store_b.id
    # A Store B clerk cannot book (and so open) a Store A member by number.
    by_id = _post(
        client, context, world.clerk_b, {"store_id": store_b, "member_id": ann.id, "lines": line}, "b1"
    )
    assert by_id.status_code == 403
    assert (
        client.get(f"/api/v1/members/{ann.id}/profile", headers=auth(context, world.clerk_b)).status_code
        == 403
    )
    # By card it is a look-up like any other: audited, and the same answer for a card or phone that misses.
    by_card = _post(
        client,
        context,
        world.clerk_b,
        {"store_id": store_b, "member_card": ann.card_number, "lines": line},
        "b2",
    )
    assert by_card.status_code == 201, by_card.text
    no_card = _post(
        client, context, world.clerk_b, {"store_id": store_b, "member_card": "999", "lines": line}, "b3"
    )
    no_phone = _post(
        client,
        context,
        world.clerk_b,
        {"store_id": store_b, "member_phone": "13900000000", "lines": line},
        "b4",
    )
    assert no_card.status_code == no_phone.status_code == 422
    assert no_card.json()["detail"] == no_phone.json()["detail"]
    session.expire_all()
    audit = session.execute(
        select(LookupAudit.method, LookupAudit.member_id)
        .where(LookupAudit.staff_id == world.clerk_b.id)
        .order_by(LookupAudit.id)
    ).all()
    assert [tuple(r) for r in audit] == [("card", ann.id), ("card", None), ("phone", None)]


def test_a_return_needs_the_sale_store_and_its_receipt(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    sold = _sale(client, context, world, ann, "to-return", qty=1)
    here, there = _return_one(sold, world.store_a.id), _return_one(sold, world.store_b.id)
    elsewhere = _post(client, context, world.clerk_b, there, "r1")
    assert elsewhere.status_code == 403 and "another store" in elsewhere.json()["detail"]
    unquoted = _post(client, context, world.cashier_a, here | {"original_receipt": None}, "r2")
    assert unquoted.status_code == 422 and "original_receipt" in unquoted.json()["detail"]
    wrong = _post(client, context, world.cashier_a, here | {"original_receipt": "x"}, "r3")
    assert wrong.status_code == 422
    right = _post(client, context, world.cashier_a, here, "r4")
    assert right.status_code == 201, right.text


def test_a_sale_taken_back_does_not_open_the_member_to_that_store_for_good(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    line = [{"sku": "MUG-1", "quantity": 1}]
    body = {"store_id": world.store_b.id, "member_card": ann.card_number, "lines": line}
    sold = _post(client, context, world.clerk_b, body, "token-sale")
    assert sold.status_code == 201, sold.text
    assert visited_store_ids(session, ann.id) == {world.store_b.id}
    txn = sold.json()["transaction"]
    back = _return_one(txn, world.store_b.id)
    assert _post(client, context, world.clerk_b, back, "token-refund").status_code == 201
    session.expire_all()
    assert visited_store_ids(session, ann.id) == set()


def test_a_managers_approval_code_lets_a_cashier_ring_one_sale_below_the_list_price(
    client: TestClient, session: Session, context: AppContext, world: World, ann: Member
) -> None:
    pin_clock(client, NOW)
    store = world.store_a.id
    url = f"/api/v1/stores/{store}/price-approvals"
    assert client.post(url, headers=auth(context, world.cashier_a)).status_code == 403
    assert (
        client.post(
            f"/api/v1/stores/{world.store_b.id}/price-approvals", headers=auth(context, world.manager_a)
        ).status_code
        == 403
    )
    issued = client.post(url, headers=auth(context, world.manager_a))
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]

    def ring(key: str, approval: str | None) -> Any:
        line = {"sku": "VASE-1", "quantity": 1, "unit_price": "199.00"}
        body = {"store_id": store, "member_id": ann.id, "lines": [line], "override_reason": "price match"}
        return _post(
            client, context, world.cashier_a, body | ({"approval_code": approval} if approval else {}), key
        )

    assert ring("a0", None).status_code == 403
    assert ring("a1", "ZZZZ-ZZZZ").status_code == 403
    approved = ring("a2", code.lower())
    assert approved.status_code == 201, approved.text
    assert approved.json()["points"]["points"] == 199
    assert ring("a3", code).status_code == 403  # one sale per code
    session.expire_all()
    audit = session.scalars(select(PriceOverride)).one()
    assert (audit.staff_id, audit.approved_by, audit.reason) == (
        world.cashier_a.id,
        world.manager_a.id,
        "price match",
    )
    later = NOW + timedelta(minutes=11)
    pin_clock(client, later)
    stale = client.post(url, headers=auth(context, world.manager_a)).json()["code"]
    pin_clock(client, later + timedelta(minutes=10, seconds=1))
    assert ring("a4", stale).status_code == 403  # ten minutes and it is gone
