"""POST /members/{id}/chat and GET /chat/{id}: a conversation that survives a restart."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.app import create_app
from server.core.context import AppContext
from server.recommendations.engine import Engine
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import Shop, use


def test_a_conversation_narrows_turn_by_turn_across_app_instances(
    api: TestClient, shop: Shop, context: AppContext, recommender: Engine
) -> None:
    headers = auth(context, shop.world.clerk_a)
    url = f"/api/v1/members/{shop.regular.id}/chat"
    r = api.post(url, json={"message": "gift for her mother under 30"}, headers=headers)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["turn_no"] == 1 and first["constraints"]["max_price"] == 30
    assert first["constraints"]["recipient"] == "mother" and first["constraints"]["gift"] is True
    assert first["items"] and all(i["price"] <= 30 for i in first["items"])
    assert all(i["recommendation_id"] > 0 and i["kind"] == "chat" for i in first["items"])
    session_id = first["session_id"]

    # Another app instance (a restart, another worker) continues the same conversation from the database.
    with TestClient(create_app(context.settings, context=context)) as again:
        use(again, recommender)
        r = again.post(url, json={"session_id": session_id, "message": "cheaper"}, headers=headers)
    assert r.status_code == 200, r.text
    second = r.json()
    cheapest = min(i["price"] for i in first["items"])
    assert second["turn_no"] == 2 and second["items"]
    assert all(i["price"] < cheapest for i in second["items"])

    r = api.post(url, json={"session_id": session_id, "message": "not candles"}, headers=headers)
    third = r.json()
    assert "Candles" in third["constraints"]["excluded_categories"]
    assert third["items"] and all(i["category"] != "Candles" for i in third["items"])

    log = api.get(f"/api/v1/chat/{session_id}", headers=headers).json()
    assert log["member_id"] == shop.regular.id
    assert [t["message"] for t in log["turns"]] == ["gift for her mother under 30", "cheaper", "not candles"]
    assert [i["item_id"] for i in log["turns"][1]["items"]] == [i["item_id"] for i in second["items"]]


def test_not_that_one_drops_the_first_item(api: TestClient, shop: Shop, context: AppContext) -> None:
    headers = auth(context, shop.world.clerk_a)
    url = f"/api/v1/members/{shop.regular.id}/chat"
    first = api.post(url, json={"message": "something for the kitchen"}, headers=headers).json()
    top = first["items"][0]["item_id"]
    r = api.post(url, json={"session_id": first["session_id"], "message": "not that one"}, headers=headers)
    assert top in r.json()["constraints"]["excluded_items"]
    assert top not in [i["item_id"] for i in r.json()["items"]]


def test_bad_sessions_and_messages_are_refused(api: TestClient, shop: Shop, context: AppContext) -> None:
    headers = auth(context, shop.world.clerk_a)
    url = f"/api/v1/members/{shop.regular.id}/chat"
    unknown = "00000000-0000-0000-0000-000000000000"
    r = api.post(url, json={"session_id": unknown, "message": "cheaper"}, headers=headers)
    assert r.status_code == 404
    assert api.get(f"/api/v1/chat/{unknown}", headers=headers).status_code == 404
    assert api.post(url, json={"message": "   "}, headers=headers).status_code == 422
    theirs = api.post(f"/api/v1/members/{shop.dormant.id}/chat", json={"message": "a mug"}, headers=headers)
    r = api.post(url, json={"session_id": theirs.json()["session_id"], "message": "cheaper"}, headers=headers)
    assert r.status_code == 422 and "another member" in r.json()["detail"]
    # The log of a member the caller may not open stays closed.
    r = api.get(f"/api/v1/chat/{theirs.json()['session_id']}", headers=auth(context, shop.world.clerk_b))
    assert r.status_code == 403
