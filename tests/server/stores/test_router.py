"""Stores over HTTP: each caller sees only their stores; only a chain-wide admin opens one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from tests.fixtures.factories import World, auth, make_store

URL = "/api/v1/stores"


def codes(response_json: dict[str, object]) -> set[str]:
    return {s["code"] for s in response_json["items"]}  # type: ignore[attr-defined]


def test_store_staff_see_their_store_and_chain_staff_see_all(
    client: TestClient, context: AppContext, world: World
) -> None:
    clerk = client.get(URL, headers=auth(context, world.clerk_a))
    assert clerk.status_code == 200
    assert codes(clerk.json()) == {world.store_a.code}
    assert clerk.json()["total"] == 1
    analyst = client.get(URL, headers=auth(context, world.analyst)).json()
    assert codes(analyst) == {world.store_a.code, world.store_b.code}


def test_reading_one_store(client: TestClient, context: AppContext, world: World) -> None:
    own = client.get(f"{URL}/{world.store_a.id}", headers=auth(context, world.clerk_a))
    assert own.status_code == 200
    assert own.json()["name"] == "Store A"
    other = client.get(f"{URL}/{world.store_b.id}", headers=auth(context, world.clerk_a))
    assert other.status_code == 403
    assert other.json()["detail"] == f"a role in store {world.store_b.id} required"
    assert client.get(f"{URL}/999999", headers=auth(context, world.admin)).status_code == 404


def test_store_endpoints_need_a_token_and_a_role(
    client: TestClient, context: AppContext, world: World
) -> None:
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{world.store_a.id}").status_code == 401
    assert client.post(URL, json={"code": "X", "name": "X"}).status_code == 401
    assert client.get(URL, headers=auth(context, world.nobody)).status_code == 403


def test_only_a_chain_admin_opens_a_store(client: TestClient, context: AppContext, world: World) -> None:
    body = {"code": "SH-001", "name": "Shanghai IFC", "country": "China", "timezone": "Asia/Shanghai"}
    for who in (world.clerk_a, world.manager_a, world.analyst):
        refused = client.post(URL, json=body, headers=auth(context, who))
        assert refused.status_code == 403
        assert refused.json()["detail"] == "POST /stores is for role admin"
    created = client.post(URL, json=body, headers=auth(context, world.admin))
    assert created.status_code == 201, created.text
    assert created.json()["timezone"] == "Asia/Shanghai"
    assert created.json()["currency"] == "GBP"
    duplicate = client.post(URL, json={**body, "name": "Another"}, headers=auth(context, world.admin))
    assert duplicate.status_code == 409
    assert "SH-001" in duplicate.json()["detail"]


def test_bad_store_fields_are_422(client: TestClient, context: AppContext, world: World) -> None:
    headers = auth(context, world.admin)
    assert client.post(URL, json={"code": "A B", "name": "x"}, headers=headers).status_code == 422
    bad_zone = client.post(URL, json={"code": "Z1", "name": "x", "timezone": "Mars/Olympus"}, headers=headers)
    assert bad_zone.status_code == 422
    assert "IANA" in bad_zone.text
    assert (
        client.post(URL, json={"code": "Z2", "name": "x", "currency": "gbp"}, headers=headers).status_code
        == 422
    )


def test_list_is_paged_and_the_limit_is_capped(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    for _ in range(203):
        make_store(session)
    session.commit()
    headers = auth(context, world.admin)
    capped = client.get(URL, params={"limit": 1000}, headers=headers).json()
    assert capped["limit"] == 200 and len(capped["items"]) == 200 and capped["total"] == 205
    tail = client.get(URL, params={"limit": 200, "offset": 200}, headers=headers).json()
    assert len(tail["items"]) == 5
    seen = {s["id"] for s in capped["items"]} | {s["id"] for s in tail["items"]}
    assert len(seen) == 205
    assert client.get(URL, params={"limit": 0}, headers=headers).status_code == 422
    assert client.get(URL, params={"offset": -1}, headers=headers).status_code == 422
