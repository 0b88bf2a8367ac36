"""A Chinese chat over HTTP on a bilingual gift and tea shop: the constraints it holds come back on the wire.

The shop is tests/models/tea_shop.py's, stored as the demo chain stores it (the Chinese name as the
product's name, both names among its translations), so the chat matches 茶叶 to the tea category through
the catalogue's own words.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.recommendations.engine import build_recommender
from tests.fixtures.factories import World, auth, build_world, make_member, make_product
from tests.models.tea_shop import CATEGORY_NAMES, tea_shop
from tests.server.recommendations.conftest import HashEncoder, use


class TeaShop:
    """The world's stores and staff, the tea shop's products by id, and a member of store A."""

    def __init__(self, session: Session, context: AppContext) -> None:
        self.world: World = build_world(session)
        self.products: dict[int, tuple[str, str, float]] = {}  # product id -> (zh name, category, price)
        shop = tea_shop()
        for item in (shop.item(int(i)) for i in shop.ids):
            product = make_product(
                session, name=item.names["zh"], category=item.category, price=f"{item.price:.2f}"
            )
            labels = CATEGORY_NAMES[item.category]
            product.translations = {
                "zh": {"name": item.names["zh"], "category": labels["zh"]},
                "en": {"name": item.names["en"], "category": labels["en"]},
            }
            self.products[product.id] = (item.names["zh"], item.category, item.price)
        self.member = make_member(session, context.keys, self.world.store_a, name="Mei")
        session.commit()


@pytest.fixture
def tea(session: Session, context: AppContext) -> TeaShop:
    return TeaShop(session, context)


@pytest.fixture
def api(client: TestClient, tea: TeaShop, context: AppContext) -> TestClient:
    with context.sessions() as s:
        return use(client, build_recommender(s, HashEncoder()))


def say(api: TestClient, tea: TeaShop, context: AppContext, message: str, **more: Any) -> dict[str, Any]:
    """One chat turn in Chinese as the store A clerk; its answer."""
    r = api.post(
        f"/api/v1/members/{tea.member.id}/chat",
        json={"message": message, "lang": "zh", **more},
        headers=auth(context, tea.world.clerk_a),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_tea_for_mother_within_a_budget_and_not_red(
    api: TestClient, tea: TeaShop, context: AppContext
) -> None:
    turn = say(api, tea, context, "给妈妈买茶叶，三百以内，不要红色")
    c = turn["constraints"]
    assert (c["recipient"], c["max_price"], c["categories"], c["named_categories"]) == (
        "mother",
        300,
        ["tea"],
        ["tea"],
    )
    assert (c["colours"], c["excluded_colours"], c["excluded_words"], c["unmatched"]) == ([], ["red"], [], [])
    assert turn["items"] and turn["reply"] == ""
    for item in turn["items"]:
        _, category, price = tea.products[item["item_id"]]
        assert category == "tea" and price <= 300, item
    # 红茶 (black tea) is a kind of tea, not a red thing: "不要红色" leaves the Earl Grey in.
    assert any("红茶" in tea.products[i["item_id"]][0] for i in turn["items"])


def test_a_kind_the_shop_does_not_carry_is_named_not_replaced(
    api: TestClient, tea: TeaShop, context: AppContext
) -> None:
    turn = say(api, tea, context, "有咖啡吗")
    assert turn["constraints"]["unmatched"] == ["咖啡"]
    # No unrelated product stands in for the coffee: the reply says the catalogue has none.
    assert turn["items"] == [] and turn["reply"] == "目录中没有“咖啡”相关的商品。"
    # The next turn asks for what the shop does carry; the coffee is no longer held against it.
    after = say(api, tea, context, "那茶叶呢", session_id=turn["session_id"])
    assert after["constraints"]["unmatched"] == [] and after["constraints"]["categories"] == ["tea"]
    assert after["items"] and all(tea.products[i["item_id"]][1] == "tea" for i in after["items"])
    # The log reads the stored turns back with the same constraints.
    log = api.get(f"/api/v1/chat/{turn['session_id']}", headers=auth(context, tea.world.clerk_a)).json()
    assert [t["constraints"]["unmatched"] for t in log["turns"]] == [["咖啡"], []]
