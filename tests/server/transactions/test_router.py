"""A member's purchase history over HTTP: newest first, with lines, scoped like the member."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import TransactionLine
from tests.fixtures.factories import World, auth, make_member, make_product, make_transaction


def test_history_newest_first_with_lines_and_returns(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_a)
    mug, cushion = (
        make_product(session, name="Mug", sku="M1"),
        make_product(session, name="Cushion", sku="C1"),
    )
    sale = make_transaction(
        session,
        world.store_a,
        member,
        [(mug, 6, "2.55"), (cushion, 1, "3.39")],
        occurred_at=datetime(2024, 3, 1, 10, tzinfo=UTC),
    )
    sold_mugs = session.query(TransactionLine).filter_by(transaction_id=sale.id, line_no=1).one()
    make_transaction(
        session,
        world.store_a,
        member,
        [(mug, -2, "2.55")],
        occurred_at=datetime(2024, 3, 5, 16, tzinfo=UTC),
        kind="return",
        original_line_ids=[sold_mugs.id],
    )
    make_transaction(session, world.store_a, None, [(mug, 1, "2.55")])  # anonymous, not theirs
    session.commit()

    response = client.get(f"/api/v1/members/{member.id}/transactions", headers=auth(context, world.clerk_a))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    ret, first = body["items"]
    assert ret["kind"] == "return" and ret["total_amount"] == "-5.10"
    assert ret["lines"][0]["original_line_id"] == sold_mugs.id
    assert first["kind"] == "sale" and first["total_amount"] == "18.69"
    assert [(line["sku"], line["name"], line["quantity"]) for line in first["lines"]] == [
        ("M1", "Mug", 6),
        ("C1", "Cushion", 1),
    ]
    assert first["lines"][0]["unit_price"] == "2.550" and first["lines"][0]["amount"] == "15.30"
    paged = client.get(
        f"/api/v1/members/{member.id}/transactions",
        params={"limit": 1, "offset": 1},
        headers=auth(context, world.clerk_a),
    ).json()
    assert [t["id"] for t in paged["items"]] == [sale.id]
    capped = client.get(
        f"/api/v1/members/{member.id}/transactions",
        params={"limit": 999},
        headers=auth(context, world.clerk_a),
    )
    assert capped.json()["limit"] == 200


def test_history_follows_the_member_scope(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    member = make_member(session, context.keys, world.store_b)
    session.commit()
    url = f"/api/v1/members/{member.id}/transactions"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth(context, world.clerk_a)).status_code == 403
    assert client.get(url, headers=auth(context, world.nobody)).status_code == 403
    assert client.get(url, headers=auth(context, world.analyst)).status_code == 200
    assert client.get(url, headers=auth(context, world.clerk_b)).json()["items"] == []
    assert (
        client.get("/api/v1/members/999999/transactions", headers=auth(context, world.admin)).status_code
        == 404
    )
