"""GET /members/{id}/recommendations: reasons grounded in the member's history, language, scope."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import RecommendationFeedback
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import Shop

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_regular_gets_the_item_they_rebuy_with_its_timing(
    api: TestClient, shop: Shop, context: AppContext, session: Session
) -> None:
    r = api.get(
        f"/api/v1/members/{shop.regular.id}/recommendations?k=5", headers=auth(context, shop.world.clerk_a)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    tea = shop.products["Tea Light Candles"]
    repeat = next(s for s in body["suggestions"] if s["kind"] == "replenish")
    assert repeat["item_id"] == tea.id and repeat["sku"] == tea.sku
    assert repeat["facts"]["cycle_days"] == 30 and repeat["facts"]["days_since"] == 35
    assert "every ~30 days" in repeat["reason"] and "35 days ago" in repeat["reason"]
    assert body["reactivation_offer"] is None
    assert body["model_version"].startswith("aisle-")  # the model version that ranked the list
    ids = [s["recommendation_id"] for s in body["suggestions"]]
    assert len(set(ids)) == len(ids) == len(body["suggestions"]) >= 2
    shown = session.scalar(
        select(func.count()).where(
            RecommendationFeedback.recommendation_id.in_(ids), RecommendationFeedback.action == "shown"
        )
    )
    assert shown == len(ids)


def test_a_cross_sell_comes_from_baskets_of_other_shoppers(
    api: TestClient, shop: Shop, context: AppContext
) -> None:
    r = api.get(
        f"/api/v1/members/{shop.regular.id}/recommendations?k=10", headers=auth(context, shop.world.clerk_a)
    )
    cross = [s for s in r.json()["suggestions"] if s["kind"] == "cross_sell"]
    assert [s["item_id"] for s in cross] == [shop.products["Glass Candle Holder"].id]
    assert "Tea Light Candles" in cross[0]["reason"]


def test_a_dormant_member_gets_a_reactivation_offer(api: TestClient, shop: Shop, context: AppContext) -> None:
    r = api.get(
        f"/api/v1/members/{shop.dormant.id}/recommendations", headers=auth(context, shop.world.clerk_a)
    )
    assert r.status_code == 200, r.text
    offer = r.json()["reactivation_offer"]
    assert offer is not None
    assert offer["facts"]["days_since_last_purchase"] == 200
    assert 5 <= offer["discount_percent"] <= 30 and offer["discount_percent"] % 5 == 0
    assert set(offer["categories"]) <= {"Home Decor", "Candles"}
    assert "200" in offer["text"]


def test_chinese_reasons_and_names(api: TestClient, shop: Shop, context: AppContext) -> None:
    url = f"/api/v1/members/{shop.regular.id}/recommendations?lang=zh"
    body = api.get(url, headers=auth(context, shop.world.clerk_a)).json()
    assert body["lang"] == "zh"
    repeat = next(s for s in body["suggestions"] if s["kind"] == "replenish")
    assert repeat["name"] == "茶蜡"
    assert all(HAN.search(s["reason"]) for s in body["suggestions"])
    assert "30天" in repeat["reason"]


def test_an_unsupported_language_is_refused(api: TestClient, shop: Shop, context: AppContext) -> None:
    url = f"/api/v1/members/{shop.regular.id}/recommendations?lang=fr"
    r = api.get(url, headers=auth(context, shop.world.clerk_a))
    assert r.status_code == 422 and "unsupported language" in r.json()["detail"]


def test_a_clerk_of_another_store_who_never_looked_the_member_up_is_refused(
    api: TestClient, shop: Shop, context: AppContext
) -> None:
    headers = auth(context, shop.world.clerk_b)
    r = api.get(f"/api/v1/members/{shop.regular.id}/recommendations", headers=headers)
    assert r.status_code == 403
    r = api.post(f"/api/v1/members/{shop.regular.id}/chat", json={"message": "a gift"}, headers=headers)
    assert r.status_code == 403
    assert api.get(f"/api/v1/members/{shop.other.id}/recommendations", headers=headers).status_code == 200
    assert api.get("/api/v1/members/999999/recommendations", headers=headers).status_code == 404
