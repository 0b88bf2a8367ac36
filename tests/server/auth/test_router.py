"""Signing in over HTTP, and the token checks every protected endpoint relies on."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.tokens import issue_token
from server.core.context import AppContext
from server.db.base import utcnow
from server.db.tables import Staff
from tests.fixtures.factories import PASSWORD, World, auth, make_staff

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(TOKEN, data={"username": login, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_sign_in_returns_a_working_token_with_roles(client: TestClient, world: World) -> None:
    response = client.post(TOKEN, data={"username": world.clerk_a.login, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 12 * 60 * 60
    assert body["staff"]["id"] == world.clerk_a.id
    assert body["staff"]["roles"] == [{"role": "clerk", "store_id": world.store_a.id}]
    assert "password_hash" not in body["staff"]
    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["login"] == world.clerk_a.login


def test_login_ignores_case_and_spaces(client: TestClient, world: World) -> None:
    sign_in(client, f"  {world.clerk_a.login.upper()} ")


def test_wrong_password_and_unknown_login_get_the_same_answer(client: TestClient, world: World) -> None:
    wrong = client.post(TOKEN, data={"username": world.clerk_a.login, "password": "not-the-password"})
    unknown = client.post(TOKEN, data={"username": "nobody-here", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect staff id or password"}
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_disabled_account_is_told_so_with_the_right_password_only(
    client: TestClient, session: Session
) -> None:
    make_staff(session, [(Role.CLERK, None)], login="gone", active=False)
    session.commit()
    right = client.post(TOKEN, data={"username": "gone", "password": PASSWORD})
    assert right.status_code == 403
    assert "disabled" in right.json()["detail"]
    wrong = client.post(TOKEN, data={"username": "gone", "password": "not-the-password"})
    assert wrong.status_code == 401


def test_five_failures_lock_the_login_even_for_the_right_password(client: TestClient, world: World) -> None:
    login = world.clerk_a.login
    for _ in range(5):
        assert client.post(TOKEN, data={"username": login, "password": "guess-guess"}).status_code == 401
    locked = client.post(TOKEN, data={"username": login, "password": PASSWORD})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "too many failed sign-ins" in locked.json()["detail"]
    sign_in(client, world.clerk_b.login)  # other logins are unaffected


def test_missing_malformed_and_forged_tokens_are_refused(client: TestClient, world: World) -> None:
    missing = client.get(ME)
    assert missing.status_code == 401
    assert "not signed in" in missing.json()["detail"]
    assert client.get(ME, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    forged = issue_token(b"0" * 32, staff_id=world.admin.id, version=0, minutes=60)
    response = client.get(ME, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("invalid token")


def test_tampered_token_is_refused(client: TestClient, context: AppContext, world: World) -> None:
    token = auth(context, world.clerk_a)["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    response = client.get(ME, headers={"Authorization": f"Bearer {header}.{payload}.{flipped}"})
    assert response.status_code == 401


def test_expired_token_says_so(client: TestClient, context: AppContext, world: World) -> None:
    past = utcnow() - timedelta(hours=13)
    token = issue_token(context.keys.jwt, staff_id=world.clerk_a.id, version=0, minutes=12 * 60, now=past)
    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("token expired")


def test_password_change_revokes_earlier_tokens(client: TestClient, session: Session, world: World) -> None:
    old = sign_in(client, world.clerk_a.login)
    response = client.post(
        "/api/v1/auth/password",
        headers=old,
        json={"old_password": PASSWORD, "new_password": "a-brand-new-secret"},
    )
    assert response.status_code == 200, response.text
    fresh = {"Authorization": f"Bearer {response.json()['access_token']}"}
    revoked = client.get(ME, headers=old)
    assert revoked.status_code == 401
    assert revoked.json()["detail"].startswith("token revoked")
    assert client.get(ME, headers=fresh).status_code == 200
    assert client.post(TOKEN, data={"username": world.clerk_a.login, "password": PASSWORD}).status_code == 401
    sign_in(client, world.clerk_a.login, "a-brand-new-secret")
    session.expire_all()
    assert session.get(Staff, world.clerk_a.id).token_version == 1  # type: ignore[union-attr]


def test_password_change_checks_the_old_password_and_the_new_length(client: TestClient, world: World) -> None:
    headers = sign_in(client, world.clerk_a.login)
    url = "/api/v1/auth/password"
    wrong = client.post(url, headers=headers, json={"old_password": "nope", "new_password": "long-enough-1"})
    assert wrong.status_code == 403
    short = client.post(url, headers=headers, json={"old_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    same = client.post(url, headers=headers, json={"old_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422
    assert client.get(ME, headers=headers).status_code == 200  # nothing changed, token still good


def test_deactivation_revokes_tokens(client: TestClient, context: AppContext, world: World) -> None:
    clerk = sign_in(client, world.clerk_a.login)
    response = client.patch(
        f"/api/v1/staff/{world.clerk_a.id}", headers=auth(context, world.manager_a), json={"active": False}
    )
    assert response.status_code == 200, response.text
    revoked = client.get(ME, headers=clerk)
    assert revoked.status_code == 401
    assert revoked.json()["detail"].startswith("token revoked")


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code == 200
