"""Feedback on a recommendation, and crediting a later till sale to the clerk and model version."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import RecommendationFeedback
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import NOW, Shop


def _suggested(
    api: TestClient, shop: Shop, context: AppContext, member_id: int, item: str
) -> dict[str, object]:
    """Show the member's recommendations to clerk A; the suggestion of `item` among them."""
    url = f"/api/v1/members/{member_id}/recommendations?k=20"
    body = api.get(url, headers=auth(context, shop.world.clerk_a)).json()
    return next(s for s in body["suggestions"] if s["item_id"] == shop.products[item].id)


def test_feedback_is_recorded_once_per_action(
    api: TestClient, shop: Shop, context: AppContext, session: Session
) -> None:
    rec_id = _suggested(api, shop, context, shop.regular.id, "Tea Light Candles")["recommendation_id"]
    headers = auth(context, shop.world.clerk_a)
    url = f"/api/v1/recommendations/{rec_id}/feedback"
    first = api.post(url, json={"action": "accepted"}, headers=headers)
    again = api.post(url, json={"action": "accepted"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] is True and again.json()["created"] is False
    assert first.json()["recorded_at"] == again.json()["recorded_at"]
    count = select(func.count()).where(RecommendationFeedback.recommendation_id == rec_id)
    assert session.scalar(count.where(RecommendationFeedback.action == "accepted")) == 1
    assert api.post(url, json={"action": "declined"}, headers=headers).status_code == 409
    assert api.post(url, json={"action": "liked"}, headers=headers).status_code == 422
    assert (
        api.post(
            "/api/v1/recommendations/999999/feedback", json={"action": "sold"}, headers=headers
        ).status_code
        == 404
    )
    assert (
        api.post(url, json={"action": "sold"}, headers=auth(context, shop.world.clerk_b)).status_code == 403
    )


def _ring_up(api: TestClient, shop: Shop, context: AppContext, member_id: int, sku: str, key: str) -> None:
    body = {"store_id": shop.world.store_a.id, "member_id": member_id, "lines": [{"sku": sku, "quantity": 2}]}
    r = api.post(
        "/api/v1/transactions",
        json=body,
        headers={**auth(context, shop.world.cashier_a), "Idempotency-Key": key},
    )
    assert r.status_code == 201, r.text


def test_a_sale_within_the_window_is_credited_and_one_after_it_is_not(
    api: TestClient, shop: Shop, context: AppContext
) -> None:
    tea = shop.products["Tea Light Candles"]
    frame = shop.products["Photo Frame"]
    assert _suggested(api, shop, context, shop.regular.id, tea.name)["kind"] == "replenish"
    assert _suggested(api, shop, context, shop.dormant.id, frame.name)["kind"] == "replenish"

    pin_clock(api, NOW + timedelta(days=3))
    _ring_up(api, shop, context, shop.regular.id, tea.sku, "sale-within")
    pin_clock(api, NOW + timedelta(days=context.settings.attribution_days + 1))
    _ring_up(api, shop, context, shop.dormant.id, frame.sku, "sale-after")

    r = api.get(
        f"/api/v1/recommendations/attribution?store_id={shop.world.store_a.id}",
        headers=auth(context, shop.world.manager_a),
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert row["staff_id"] == shop.world.clerk_a.id and row["model_version"].startswith("aisle-")
    assert row["sold"] == 1
    assert Decimal(row["attributed_revenue"]) == Decimal("9.00")  # 2 x 4.50: only the sale within 14 days
    assert row["shown"] >= 2 and row["accepted"] == 0


def test_the_attribution_report_is_for_managers_and_analysts(
    api: TestClient, shop: Shop, context: AppContext
) -> None:
    w = shop.world
    url = "/api/v1/recommendations/attribution"
    assert api.get(f"{url}?store_id={w.store_a.id}", headers=auth(context, w.clerk_a)).status_code == 403
    assert api.get(f"{url}?store_id={w.store_b.id}", headers=auth(context, w.manager_a)).status_code == 403
    assert api.get(url, headers=auth(context, w.manager_a)).status_code == 403
    assert api.get(url, headers=auth(context, w.analyst)).status_code == 200
    since = (NOW + timedelta(days=1)).isoformat()
    _suggested(api, shop, context, shop.regular.id, "Tea Light Candles")
    r = api.get(url, params={"since": since}, headers=auth(context, w.analyst))
    assert r.json()["rows"] == []
