"""A chain whose products are named only in Chinese, under the English-only default model: the build says
it runs on purchase history, and a member's repeat and co-purchase suggestions are those of English names."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.recommendations.engine import Engine, build_recommender
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import PRODUCTS, HashEncoder, Shop, use

# A Chinese name for every product of the shop, in PRODUCTS' order.
CHINESE = [
    "茶蜡",
    "香草香薰蜡烛",
    "柱形蜡烛套装",
    "玻璃烛台",
    "豪华蜡烛礼盒",
    "陶瓷杯",
    "带滤网茶壶",
    "蛋糕模具",
    "亚麻茶巾",
    "瓷花瓶",
    "相框",
    "心形挂饰",
    "丝绒靠垫",
    "帆布袋",
    "包挂件",
    "真皮手提包",
    "零钱包",
    "白色灯笼",
    "串灯",
]


def suggestions(client: TestClient, rec: Engine, shop: Shop, context: AppContext) -> list[tuple]:
    r = use(client, rec).get(
        f"/api/v1/members/{shop.regular.id}/recommendations?k=10", headers=auth(context, shop.world.clerk_a)
    )
    assert r.status_code == 200, r.text
    return [(s["item_id"], s["kind"], s["score"]) for s in r.json()["suggestions"]]


def test_a_chinese_only_catalogue_runs_on_purchase_history(
    client: TestClient,
    shop: Shop,
    session: Session,
    context: AppContext,
    recommender: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert recommender.text.mode == "text+history" and recommender.index.text_weight == 1.0
    english = suggestions(client, recommender, shop, context)
    for n, (name, *_) in enumerate(PRODUCTS):
        shop.products[name].name = CHINESE[n] if n < len(CHINESE) else f"新品{n}号"
    session.commit()
    with caplog.at_level(logging.INFO, logger="server.recommendations.engine"), context.sessions() as s:
        chinese_rec = build_recommender(s, HashEncoder())
    assert chinese_rec.text.mode == "history-only" and chinese_rec.index.text_weight == 0.0
    assert chinese_rec.version.endswith("/history-only")
    assert f"recommender mode history-only: 0% of {len(PRODUCTS)} product texts readable" in caplog.text
    chinese = suggestions(client, chinese_rec, shop, context)
    assert not any(kind == "explore" for _, kind, _ in chinese)
    history = [(item, kind) for item, kind, _ in english if kind != "explore"]
    # repeats and co-purchase in the same order as with English names (scores move a little: the English
    # model's ranker also weighed a text signal)
    assert history and [(item, kind) for item, kind, _ in chinese[: len(history)]] == history
