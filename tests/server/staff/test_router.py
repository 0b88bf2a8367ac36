"""Staff accounts over HTTP: who may list, create and change whom."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Staff
from tests.fixtures.factories import World, auth

URL = "/api/v1/staff"


def new_staff(store_id: int | None, role: str = "clerk", login: str = "newbie") -> dict[str, Any]:
    return {
        "login": login,
        "display_name": "New Person",
        "password": "long-enough-pw",
        "roles": [{"role": role, "store_id": store_id}],
    }


def test_listing_a_team(client: TestClient, context: AppContext, world: World) -> None:
    a = world.store_a.id
    team = client.get(URL, params={"store_id": a}, headers=auth(context, world.manager_a))
    assert team.status_code == 200
    logins = {s["login"] for s in team.json()["items"]}
    assert logins == {world.clerk_a.login, world.cashier_a.login, world.manager_a.login}
    everyone = client.get(URL, headers=auth(context, world.admin)).json()
    assert everyone["total"] == 7


def test_listing_is_refused_outside_scope_and_role(
    client: TestClient, context: AppContext, world: World
) -> None:
    b = world.store_b.id
    assert client.get(URL, params={"store_id": b}).status_code == 401
    other = client.get(URL, params={"store_id": b}, headers=auth(context, world.manager_a))
    assert other.status_code == 403
    assert other.json()["detail"] == f"role admin or store_manager in store {b} required"
    clerk = client.get(URL, params={"store_id": world.store_a.id}, headers=auth(context, world.clerk_a))
    assert clerk.status_code == 403
    assert client.get(URL, headers=auth(context, world.manager_a)).status_code == 403


def test_manager_creates_floor_staff_in_own_store_only(
    client: TestClient, context: AppContext, world: World
) -> None:
    manager = auth(context, world.manager_a)
    a, b = world.store_a.id, world.store_b.id
    created = client.post(URL, json=new_staff(a, "vip_consultant", "Vip.One"), headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["login"] == "vip.one"
    assert created.json()["roles"] == [{"role": "vip_consultant", "store_id": a}]
    elsewhere = client.post(URL, json=new_staff(b), headers=manager)
    assert elsewhere.status_code == 403
    assert "granting clerk in store" in elsewhere.json()["detail"]
    promote = client.post(URL, json=new_staff(a, "store_manager"), headers=manager)
    assert promote.status_code == 403
    chain = client.post(URL, json=new_staff(None), headers=manager)
    assert chain.status_code == 403
    clerk = client.post(URL, json=new_staff(a, login="by-clerk"), headers=auth(context, world.clerk_a))
    assert clerk.status_code == 403
    assert client.post(URL, json=new_staff(a)).status_code == 401


def test_admin_creates_anyone_and_new_staff_can_sign_in(
    client: TestClient, context: AppContext, world: World
) -> None:
    body = new_staff(None, "hq_analyst", "analyst2")
    assert client.post(URL, json=body, headers=auth(context, world.admin)).status_code == 201
    token = client.post("/api/v1/auth/token", data={"username": "analyst2", "password": "long-enough-pw"})
    assert token.status_code == 200
    assert token.json()["staff"]["roles"] == [{"role": "hq_analyst", "store_id": None}]


def test_create_conflicts_and_bad_input(client: TestClient, context: AppContext, world: World) -> None:
    admin = auth(context, world.admin)
    duplicate = client.post(URL, json=new_staff(None, login=world.clerk_a.login.upper()), headers=admin)
    assert duplicate.status_code == 409
    assert "already taken" in duplicate.json()["detail"]
    short = {**new_staff(None), "password": "short"}
    assert client.post(URL, json=short, headers=admin).status_code == 422
    no_roles = {**new_staff(None), "roles": []}
    assert client.post(URL, json=no_roles, headers=admin).status_code == 422
    bad_role = new_staff(None, role="wizard")
    assert client.post(URL, json=bad_role, headers=admin).status_code == 422
    bad_store = client.post(URL, json=new_staff(987654), headers=admin)
    assert bad_store.status_code == 422
    assert "store 987654 does not exist" in bad_store.json()["detail"]
    assert client.post(URL, json={**new_staff(None), "login": "a b"}, headers=admin).status_code == 422


def test_manager_changes_roles_and_deactivates_own_staff(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    a = world.store_a.id
    manager = auth(context, world.manager_a)
    url = f"{URL}/{world.clerk_a.id}"
    roles = [{"role": "clerk", "store_id": a}, {"role": "cashier", "store_id": a}]
    changed = client.patch(url, json={"roles": roles, "display_name": "Li Na"}, headers=manager)
    assert changed.status_code == 200, changed.text
    assert sorted(r["role"] for r in changed.json()["roles"]) == ["cashier", "clerk"]
    assert changed.json()["display_name"] == "Li Na"
    # Roles change does not sign anyone out; deactivation does.
    session.expire_all()
    assert session.get(Staff, world.clerk_a.id).token_version == 0  # type: ignore[union-attr]
    off = client.patch(url, json={"active": False}, headers=manager)
    assert off.status_code == 200 and off.json()["active"] is False
    session.expire_all()
    assert session.get(Staff, world.clerk_a.id).token_version == 1  # type: ignore[union-attr]


def test_patch_refused_outside_scope(client: TestClient, context: AppContext, world: World) -> None:
    manager = auth(context, world.manager_a)
    assert client.patch(f"{URL}/{world.clerk_b.id}", json={"active": False}).status_code == 401
    assert (
        client.patch(f"{URL}/{world.clerk_b.id}", json={"active": False}, headers=manager).status_code == 403
    )
    assert (
        client.patch(f"{URL}/{world.analyst.id}", json={"active": False}, headers=manager).status_code == 403
    )
    grab = [{"role": "store_manager", "store_id": world.store_a.id}]
    escalate = client.patch(f"{URL}/{world.clerk_a.id}", json={"roles": grab}, headers=manager)
    assert escalate.status_code == 403
    clerk = auth(context, world.clerk_a)
    assert (
        client.patch(f"{URL}/{world.cashier_a.id}", json={"active": False}, headers=clerk).status_code == 403
    )
    assert (
        client.patch(f"{URL}/999999", json={"active": False}, headers=auth(context, world.admin)).status_code
        == 404
    )


def test_nobody_deactivates_themselves(client: TestClient, context: AppContext, world: World) -> None:
    response = client.patch(
        f"{URL}/{world.admin.id}", json={"active": False}, headers=auth(context, world.admin)
    )
    assert response.status_code == 422
    assert "yourself" in response.json()["detail"]


def test_admin_resets_a_password_and_old_tokens_stop(
    client: TestClient, context: AppContext, world: World
) -> None:
    before = auth(context, world.clerk_b)
    url = f"{URL}/{world.clerk_b.id}"
    reset = client.patch(url, json={"password": "reset-by-admin"}, headers=auth(context, world.admin))
    assert reset.status_code == 200
    assert client.get("/api/v1/auth/me", headers=before).status_code == 401
    signed = client.post(
        "/api/v1/auth/token", data={"username": world.clerk_b.login, "password": "reset-by-admin"}
    )
    assert signed.status_code == 200
