"""A member's stated interests: given at enrolment or replaced later, and heard in their first suggestions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, MemberTag
from server.recommendations.engine import build_recommender
from server.tags.service import create_rule, retag
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import (
    NOW,
    BusyMonth,
    HashEncoder,
    Shop,
    build_shop,
    busy_month,
    use,
)

URL = "/api/v1/members"


@pytest.fixture
def shop(session: Session, context: AppContext) -> Shop:
    return build_shop(session, context)


@pytest.fixture
def month(session: Session, context: AppContext, shop: Shop) -> BusyMonth:
    """Store A's last month: Tote Bag, Vanilla Scented Candle (zh label 蜡烛) and Fairy Lights sell."""
    return busy_month(session, context, shop)


@pytest.fixture
def api(client: TestClient, context: AppContext, month: BusyMonth) -> TestClient:
    with context.sessions() as s:
        return use(client, build_recommender(s, HashEncoder()))


def enrol(api: TestClient, context: AppContext, shop: Shop, **extra: Any) -> Any:
    body = {"name": "Li Na", "phone": "139 0013 9000", "home_store_id": shop.world.store_a.id, **extra}
    return api.post(URL, json=body, headers=auth(context, shop.world.clerk_a))


def staff_tags(session: Session, member_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.execute(
        select(MemberTag.tag, MemberTag.source)
        .where(MemberTag.member_id == member_id)
        .order_by(MemberTag.tagged_at, MemberTag.id)
    )
    return [(tag, source) for tag, source in rows]


def test_interests_given_at_enrolment_lead_the_new_members_suggestions(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    created = enrol(api, context, shop, interests=[" lights ", "蜡烛", "LIGHTS"])
    assert created.status_code == 201, created.text
    member = created.json()
    assert member["interests"] == ["Lights", "Candles"]  # keys, in the order said, once each
    assert staff_tags(session, member["id"]) == [("interest:Lights", "staff"), ("interest:Candles", "staff")]
    r = api.get(
        f"{URL}/{member['id']}/recommendations?k=3&lang=en", headers=auth(context, shop.world.clerk_a)
    )
    assert r.status_code == 200, r.text
    found = r.json()["suggestions"]
    assert [s["name"] for s in found] == ["Fairy Lights", "Vanilla Scented Candle", "Pillar Candle Set"]
    assert found[0]["reason"] == "One of this store's best-sellers in Lights this month."
    assert found[1]["reason"] == "One of this store's best-sellers in Candles this month."
    read = api.get(f"{URL}/{member['id']}", headers=auth(context, shop.world.clerk_a)).json()
    assert read["interests"] == ["Lights", "Candles"]


def test_an_unknown_interest_is_refused_by_name_and_nobody_is_enrolled(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    before = len(session.scalars(select(Member.id)).all())
    r = enrol(api, context, shop, interests=["Candles", "Skiing"])
    assert r.status_code == 422
    assert "'Skiing'" in r.text and "Candles" in r.text and "Lights" in r.text  # names it, lists known ones
    session.expire_all()
    assert len(session.scalars(select(Member.id)).all()) == before


@pytest.mark.parametrize(
    ("interests", "reason"),
    [
        (["  "], "cannot be empty"),
        (["x" * 41], "at most 40 characters"),
        ([f"c{i}" for i in range(11)], "at most 10 interests"),
    ],
)
def test_a_malformed_list_of_interests_is_refused_with_the_reason(
    api: TestClient, context: AppContext, shop: Shop, interests: list[str], reason: str
) -> None:
    r = enrol(api, context, shop, interests=interests)
    assert r.status_code == 422 and reason in r.text, r.text


def test_put_replaces_the_interests_and_the_same_set_again_changes_nothing(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    member = enrol(api, context, shop, interests=["Candles", "Bags"]).json()
    url, headers = f"{URL}/{member['id']}/interests", auth(context, shop.world.clerk_a)
    first = api.put(url, json={"interests": ["bags", "Lights"]}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["interests"] == ["Bags", "Lights"]
    tags = staff_tags(session, member["id"])
    assert tags == [("interest:Bags", "staff"), ("interest:Lights", "staff")]
    again = api.put(url, json={"interests": ["Bags", "lights"]}, headers=headers)
    assert again.json() == first.json()  # the member's updated_at included
    assert staff_tags(session, member["id"]) == tags
    assert {k: v for k, v in again.json().items() if k != "interests"} == {
        k: v for k, v in member.items() if k != "interests"
    }
    cleared = api.put(url, json={"interests": []}, headers=headers)
    assert cleared.json()["interests"] == [] and staff_tags(session, member["id"]) == []


def test_put_leaves_the_members_other_tags_alone(
    api: TestClient, session: Session, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    newcomer = month.newcomer  # tagged "Candles" by hand
    url, headers = f"{URL}/{newcomer.id}/interests", auth(context, shop.world.manager_a)
    assert api.put(url, json={"interests": ["Kitchen"]}, headers=headers).status_code == 200
    assert api.put(url, json={"interests": []}, headers=headers).status_code == 200
    assert staff_tags(session, newcomer.id) == [("Candles", "staff")]


def test_staff_of_another_store_cannot_change_interests(
    api: TestClient, session: Session, context: AppContext, shop: Shop
) -> None:
    member = enrol(api, context, shop, interests=["Candles"]).json()
    url = f"{URL}/{member['id']}/interests"
    for caller in (shop.world.clerk_b, shop.world.cashier_a, shop.world.analyst):
        r = api.put(url, json={"interests": ["Bags"]}, headers=auth(context, caller))
        assert r.status_code == 403, (caller.username, r.text)
    assert (
        api.put(
            f"{URL}/999999/interests", json={"interests": []}, headers=auth(context, shop.world.admin)
        ).status_code
        == 404
    )
    assert staff_tags(session, member["id"]) == [("interest:Candles", "staff")]


def test_saying_an_interest_a_rule_had_tagged_makes_it_the_members_own(
    api: TestClient, session: Session, context: AppContext, shop: Shop, month: BusyMonth
) -> None:
    member = month.stranger
    create_rule(session, "interest:Candles", {"fact": "gender", "op": "ne", "value": "nobody"}, NOW)
    retag(session, NOW, [member.id])
    session.commit()
    assert staff_tags(session, member.id) == [("interest:Candles", "rule")]
    url, headers = f"{URL}/{member.id}/interests", auth(context, shop.world.clerk_a)
    assert (
        api.get(f"{URL}/{member.id}", headers=headers).json()["interests"] == []
    )  # a rule's guess, not said
    r = api.put(url, json={"interests": ["Candles"]}, headers=headers)
    assert r.status_code == 200 and r.json()["interests"] == ["Candles"]
    retag(session, NOW, [member.id])  # the rule no longer owns it: rerunning it neither drops nor doubles it
    session.commit()
    assert staff_tags(session, member.id) == [("interest:Candles", "staff")]
