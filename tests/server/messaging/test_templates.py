"""Templates: validated when saved, versioned, previewed with a member the caller may open."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member
from server.messaging.outbox import enqueue
from tests.fixtures.factories import World, auth, make_member
from tests.server.messaging.conftest import NOON

URL = "/api/v1/messaging/templates"


def test_a_template_with_an_unknown_variable_or_a_format_is_refused(
    client: TestClient, context: AppContext, world: World
) -> None:
    hq = auth(context, world.admin)
    bad = client.put(f"{URL}/birthday/en", json={"body": "Hi {member_name}, {points} points"}, headers=hq)
    assert bad.status_code == 422 and "unknown variable {points} for birthday" in bad.json()["detail"]
    spec = client.put(f"{URL}/points_expiry/en", json={"body": "{points:.2f} points"}, headers=hq)
    assert spec.status_code == 422 and "variable points takes no format" in spec.json()["detail"]
    broken = client.put(f"{URL}/otp/zh", json={"body": "验证码 {code"}, headers=hq)
    assert broken.status_code == 422
    assert client.put(f"{URL}/nothing/zh", json={"body": "x"}, headers=hq).status_code == 422


def test_saving_makes_a_new_version_and_messages_keep_the_one_they_used(
    client: TestClient, session: Session, context: AppContext, world: World, member: Member
) -> None:
    first = enqueue(session, member.id, "campaign", {"text": "春季新品"}, key="c-1", now=NOON)
    session.commit()
    assert first.template_version == 1 and first.body.startswith("【Store A】春季新品")
    hq = auth(context, world.analyst)
    saved = client.put(f"{URL}/campaign/zh", json={"body": "{member_name}：{text} 回复TD退订"}, headers=hq)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    second = enqueue(session, member.id, "campaign", {"text": "春季新品"}, key="c-2", now=NOON)
    assert second.template_version == 2 and second.body == "Li Na：春季新品 回复TD退订"
    assert enqueue(session, member.id, "campaign", {"text": "x"}, key="c-1", now=NOON).id == first.id
    versions = client.get(f"{URL}/campaign/zh/versions", headers=hq).json()
    assert [v["version"] for v in versions] == [2, 1]


def test_managers_read_and_preview_but_only_hq_saves(
    client: TestClient, session: Session, context: AppContext, world: World, member: Member
) -> None:
    manager = auth(context, world.manager_a)
    listed = client.get(URL, headers=manager).json()
    assert {(t["purpose"], t["lang"]) for t in listed} >= {("otp", "zh"), ("otp", "en"), ("campaign", "en")}
    assert client.put(f"{URL}/otp/en", json={"body": "{code}"}, headers=manager).status_code == 403
    shown = client.post(f"{URL}/otp/zh/preview", json={"member_id": member.id}, headers=manager)
    assert shown.status_code == 200
    assert "******" in shown.json()["text"] and "Store A" in shown.json()["text"]
    assert client.get(URL, headers=auth(context, world.clerk_a)).status_code == 403


def test_a_preview_needs_a_member_the_caller_may_open(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    other = make_member(session, context.keys, world.store_b, name="Zhang Wei")
    session.commit()
    body = {"member_id": other.id, "variables": {"coupon_amount": "30"}}
    refused = client.post(f"{URL}/birthday/en/preview", json=body, headers=auth(context, world.manager_a))
    assert refused.status_code == 403
    shown = client.post(f"{URL}/birthday/en/preview", json=body, headers=auth(context, world.admin))
    assert (
        shown.status_code == 200 and "Zhang Wei" in shown.json()["text"] and "30.00" in shown.json()["text"]
    )
    wrong = client.post(
        f"{URL}/birthday/en/preview",
        json={"member_id": other.id, "variables": {"coupon_amount": "lots"}},
        headers=auth(context, world.admin),
    )
    assert wrong.status_code == 422 and "coupon_amount" in wrong.json()["detail"]
