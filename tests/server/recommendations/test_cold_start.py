"""A member with no history of their own hears the store's best-sellers, in their interests first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member
from server.recommendations.engine import build_recommender
from server.recommendations.facts import member_facts
from server.recommendations.popularity import compute_popularity, in_stock, popularity_of, refresh_popularity
from server.recommendations.served import Explainer, rank_member
from tests.fixtures.factories import auth, make_transaction
from tests.server.recommendations.conftest import NOW, BusyMonth, HashEncoder, Shop, busy_month, use


@pytest.fixture
def month(session: Session, context: AppContext, shop: Shop) -> BusyMonth:
    return busy_month(session, context, shop)


@pytest.fixture
def busy(client: TestClient, context: AppContext, month: BusyMonth) -> TestClient:
    with context.sessions() as s:
        return use(client, build_recommender(s, HashEncoder()))


def suggestions(
    api: TestClient,
    context: AppContext,
    shop: Shop,
    member: Member,
    k: int = 3,
    lang: str = "en",
    clerk: str = "a",
) -> list[dict[str, Any]]:
    caller = shop.world.clerk_a if clerk == "a" else shop.world.clerk_b
    r = api.get(
        f"/api/v1/members/{member.id}/recommendations?k={k}&lang={lang}", headers=auth(context, caller)
    )
    assert r.status_code == 200, r.text
    return r.json()["suggestions"]  # type: ignore[no-any-return]


def test_a_new_member_hears_this_stores_best_sellers_in_their_interests(
    busy: TestClient, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    found = suggestions(busy, context, shop, month.newcomer)
    names = [s["name"] for s in found]
    assert names == ["Vanilla Scented Candle", "Pillar Candle Set", "Tote Bag"]  # candles, then the store's
    assert [s["kind"] for s in found] == ["popular"] * 3
    assert found[0]["reason"] == "One of this store's best-sellers in Candles this month."
    assert found[2]["reason"] == "One of this store's best-sellers this month."
    assert found[0]["facts"]["sales"] == 8 and found[0]["facts"]["interest"] == "Candles"
    assert all(s["recommendation_id"] for s in found)
    zh = suggestions(busy, context, shop, month.newcomer, lang="zh")
    assert zh[0]["name"] == "香草香薰蜡烛"
    assert zh[0]["reason"] == "本店这个月最畅销的蜡烛之一。"
    assert zh[2]["reason"] == "本店这个月最畅销的商品之一。"


def test_no_interests_means_the_stores_overall_best_sellers(
    busy: TestClient, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    found = suggestions(busy, context, shop, month.stranger)
    assert [s["name"] for s in found] == ["Tote Bag", "Vanilla Scented Candle", "Fairy Lights"]
    assert {s["reason"] for s in found} == {"One of this store's best-sellers this month."}


def test_a_store_that_sold_too_little_hears_the_chains_best_sellers(
    busy: TestClient, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    found = suggestions(busy, context, shop, month.newcomer_b, clerk="b")
    assert [s["name"] for s in found] == ["Tote Bag", "Vanilla Scented Candle", "Fairy Lights"]
    assert {s["reason"] for s in found} == {"One of our best-sellers across all stores this month."}
    assert all(s["facts"]["scope"] == "chain" for s in found)
    zh = suggestions(busy, context, shop, month.newcomer_b, lang="zh", clerk="b")
    assert zh[0]["reason"] == "全部门店这个月最畅销的商品之一。"


def test_inactive_and_out_of_stock_products_never_appear(
    busy: TestClient, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    for member in (month.newcomer, month.stranger):
        ids = {s["item_id"] for s in suggestions(busy, context, shop, member, k=20)}
        assert ids and not {month.retired.id, month.sold_out.id} & ids
    assert not in_stock({"stock": 0}) and not in_stock({"in_stock": False})
    assert in_stock({"stock": 3}) and in_stock({}) and in_stock(None) and in_stock({"stock": True})


def test_a_regular_with_enough_of_their_own_gets_the_models_ranking(
    client: TestClient, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    with context.sessions() as s:
        rec = build_recommender(s, HashEncoder())
        member = s.get(Member, shop.regular.id)
        assert member is not None and rec.shelf is not None
        facts = member_facts(s, member, NOW)
        served = rec.shelf.serving(s, member.home_store_id, member.id)
        assert served is not None
        binding = rec.shelf.binding(served.version, rec.catalog, rec.version, s)
        why = Explainer(rec.catalog, rec.cycles, rec.copurchase, rec.index)
        own = rank_member(binding, facts, why, today=NOW.date(), k=5, lang="en")
    assert len(own) >= 3 and own[0].kind == "replenish"
    found = suggestions(use(client, rec), context, shop, shop.regular, k=5)
    assert [(s["item_id"], s["kind"], s["reason"]) for s in found[: len(own)]] == [
        (x.item_id, x.kind, x.reason) for x in own
    ]
    assert all(s["kind"] == "popular" for s in found[len(own) :])  # the rest: the store's best-sellers


def test_best_sellers_are_counted_once_not_per_request(
    busy: TestClient, context: AppContext, shop: Shop, month: BusyMonth, monkeypatch: pytest.MonkeyPatch
) -> None:
    suggestions(busy, context, shop, month.stranger)  # computes them
    calls = []
    monkeypatch.setattr(
        "server.recommendations.popularity.compute_popularity", lambda *a, **kw: calls.append(a) or None
    )
    for member in (month.newcomer, month.stranger, month.newcomer):
        assert suggestions(busy, context, shop, member)
    assert calls == []


def test_a_chain_without_sales_has_nothing_popular(context: AppContext) -> None:
    with context.sessions() as s:
        rec = build_recommender(s, HashEncoder())
        pop = compute_popularity(s, rec.catalog, NOW)
    assert pop.as_of is None and pop.chain() is None


def test_the_catalogue_check_counts_new_sales_once_the_ranking_is_old(
    context: AppContext, session: Session, shop: Shop, month: BusyMonth, monkeypatch: pytest.MonkeyPatch
) -> None:
    with context.sessions() as s:
        rec = build_recommender(s, HashEncoder())
        first = popularity_of(s, rec)
    assert refresh_popularity(context.sessions, rec) is False  # fresh: nothing recomputed
    assert popularity_of(session, rec) is first
    fairy = shop.products["Fairy Lights"]
    for n in range(10):
        make_transaction(
            session, shop.world.store_a, None, [(fairy, 1, "28.00")], NOW - timedelta(hours=n + 1)
        )
    session.commit()
    monkeypatch.setattr("server.recommendations.popularity.MAX_AGE", timedelta(0))
    assert refresh_popularity(context.sessions, rec) is True
    here = popularity_of(session, rec).ranking(shop.world.store_a.id)
    assert here is not None and int(here.ids[0]) == fairy.id  # 16 sales now: the store's best-seller
