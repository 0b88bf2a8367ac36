"""The generated demo stores each category's Chinese and English label, and reasons name it in the language
asked for ('属于茶叶', not '属于tea')."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from server.core.context import AppContext
from server.db.tables import Member, Product, Staff
from server.demo import service
from server.demo.catalog_data import CATEGORIES
from server.recommendations.engine import build_recommender, load_catalog
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import HashEncoder, use

LABELS = {c.key: {"zh": c.zh, "en": c.en} for c in CATEGORIES}


def test_a_chinese_chat_reason_names_the_category_in_chinese(context: AppContext, client: TestClient) -> None:
    service.set_up_demo(context, generate=True, members=60)
    with context.sessions() as session:
        catalog, _ = load_catalog(session)
        assert {c: catalog.category_names[c] for c in catalog.categories} == {
            c: LABELS[c] for c in catalog.categories
        }
        clerk = session.scalars(select(Staff).where(Staff.login == "sh.clerk1")).one()
        member = session.scalars(
            select(Member).where(Member.home_store_id == clerk.roles[0].store_id)
        ).first()
        assert member is not None
        headers, member_id = auth(context, clerk), member.id
        rec = build_recommender(session, HashEncoder())
    answer = use(client, rec).post(
        f"/api/v1/members/{member_id}/chat", json={"message": "茶叶", "lang": "zh"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    reasons = [s["reason"] for s in answer.json()["items"]]
    assert reasons and all("属于茶叶" in r for r in reasons), reasons
    english = use(client, rec).post(
        f"/api/v1/members/{member_id}/chat", json={"message": "some tea", "lang": "en"}, headers=headers
    )
    assert english.status_code == 200, english.text
    reasons = [s["reason"] for s in english.json()["items"]]
    assert reasons and all("in Tea" in r for r in reasons), reasons


def test_a_demo_written_before_the_labels_gets_them_on_the_next_run(context: AppContext) -> None:
    service.set_up_demo(context, generate=True, members=60)
    with context.engine.begin() as conn:  # as an earlier version wrote the products: names only
        for product_id, translations in conn.execute(select(Product.id, Product.translations)).all():
            names = {lang: {"name": t["name"]} for lang, t in translations.items()}
            conn.execute(update(Product).where(Product.id == product_id).values(translations=names))
    service.set_up_demo(context, generate=True)
    with context.sessions() as session:
        catalog, _ = load_catalog(session)
    assert catalog.category_label("ceramics", "zh") == LABELS["ceramics"]["zh"]
