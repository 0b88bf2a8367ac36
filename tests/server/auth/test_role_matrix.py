"""Every API operation against every role, generated from the one access table (server/auth/policy.py).

A staff member holding just one role (in store A, or chain-wide for hq_analyst and admin) gets 403 where
the table says no, and anything but 403 (never a 5xx) where it says yes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from server.auth.deps import CurrentStaff, get_current_staff, get_token_claims
from server.auth.policy import POLICY, PUBLIC, WEBSOCKET, Operation, Rule, markdown_table, route_policy
from server.auth.roles import Role
from server.core.context import AppContext
from server.db.tables import Staff
from server.realtime.router import router as floor_router
from server.recommendations.engine import build_recommender
from server.routers import HTTP_ROUTERS
from tests.fixtures.factories import PASSWORD, auth, make_staff
from tests.server.recommendations.conftest import HashEncoder, Shop, build_shop, use

API = "/api/v1"
ROLES_PAGE = Path(__file__).resolve().parents[3] / "docs" / "roles.md"
NO_ROLE = "no role"


def test_every_operation_in_the_openapi_document_has_an_entry(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    documented = {(method.upper(), path.removeprefix(API)) for path, ops in paths.items() for method in ops}
    assert documented - POLICY.keys() == set(), "operations the access policy does not name"
    sockets = {op for op in POLICY if op[0] == WEBSOCKET}  # not in the OpenAPI document
    assert POLICY.keys() - documented - sockets == set(), "policy entries for operations that do not exist"
    socket_routes = {r.path for r in floor_router.routes if isinstance(r, APIWebSocketRoute)}
    assert sockets == {(WEBSOCKET, path) for path in socket_routes}


def _depends_on(dependant: Dependant, calls: set[Any]) -> bool:
    return dependant.call in calls or any(_depends_on(d, calls) for d in dependant.dependencies)


def test_every_operation_that_is_not_public_signs_the_caller_in_against_the_table() -> None:
    routes = [r for router in HTTP_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    operations = [(m, r.path_format, r) for r in routes for m in r.methods or ()]
    signed = {(m, path) for m, path, _ in operations if POLICY[(m, path)] != PUBLIC}
    checked = {
        (m, path)
        for m, path, r in operations
        if _depends_on(r.dependant, {get_current_staff, get_token_claims})
    }
    assert signed - checked == set()
    http = {op: rule for op, rule in POLICY.items() if op[0] != WEBSOCKET}  # the socket signs in itself
    assert len(signed) == sum(1 for rule in http.values() if rule != PUBLIC)


def test_the_roles_page_shows_the_table_of_the_code() -> None:
    assert markdown_table() in ROLES_PAGE.read_text(encoding="utf-8")


def test_a_route_missing_from_the_table_is_refused_for_everyone(
    client: TestClient, session: Session, context: AppContext
) -> None:
    admin = make_staff(session, [(Role.ADMIN, None)])
    session.commit()
    extra = APIRouter()

    @extra.get("/not-in-the-table")
    def unlisted(caller: CurrentStaff) -> int:
        return caller.id

    @extra.get("/open-but-not-in-the-table")
    def unlisted_open() -> int:
        return 1

    app = client.app
    assert isinstance(app, FastAPI)
    app.include_router(extra, prefix=API, dependencies=[Depends(route_policy)])
    for url in ("/not-in-the-table", "/open-but-not-in-the-table"):
        for headers in (auth(context, admin), {}):
            refused = client.get(f"{API}{url}", headers=headers)
            assert refused.status_code == 403, (url, refused.text)
            assert "no entry in the access policy" in refused.json()["detail"]


@dataclass
class Cast:
    """The shop (stores A and B, products, members of A with purchases) and the caller of the matrix."""

    shop: Shop
    context: AppContext
    caller: Staff


def _allowed(rule: Rule, role: str) -> bool:
    if isinstance(rule, str):  # public, or any signed-in account
        return True
    return role != NO_ROLE and Role(role) in rule


def _url(path: str, cast: Cast) -> str:
    values = {
        "member_id": cast.shop.regular.id,
        "store_id": cast.shop.world.store_a.id,
        # A consultant's own clients; a clerk of the store for a manager's edit of their team.
        "staff_id": cast.caller.id if path.endswith("/clients") else cast.shop.world.clerk_a.id,
        "product_id": next(iter(cast.shop.products.values())).id,
        "position": "primary",
        "code": "birthday_gift",
        "key": "tiers",
    }
    # Ids of rows the shop does not have (rules, events, chats): a 404 is an answer past the policy.
    return API + re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 999_999)), path)


def _socket(client: TestClient, path: str, cast: Cast) -> int:
    """Open a socket route signed in as the caller: 200 when it was let in, else its close code (4403)."""
    token = auth(cast.context, cast.caller)["Authorization"].removeprefix("Bearer ")
    try:
        with client.websocket_connect(API + path, subprotocols=["aisle.v1", f"bearer.{token}"]) as ws:
            ws.receive_json()
    except WebSocketDisconnect as exc:
        return 403 if exc.code == 4403 else exc.code
    return 200


def _request(client: TestClient, operation: Operation, cast: Cast) -> Any:
    method, path = operation
    if method == WEBSOCKET:
        return SimpleNamespace(status_code=_socket(client, path, cast), text="(socket)")
    params: dict[str, Any] = {}
    body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    if path in {"/staff", "/recommendations/attribution"}:
        params["store_id"] = cast.shop.world.store_a.id  # a store manager's view of their own store
    if path == "/stores/{store_id}/arrivals":
        # It signs in after reading its body: a valid one, so the policy (not validation) answers.
        body = {"member_id": cast.shop.regular.id, "source": "clerk"}
    if path == "/auth/password":
        body = {"old_password": PASSWORD, "new_password": PASSWORD}  # refused (422): nothing changes
    headers = {} if path == "/auth/token" else auth(cast.context, cast.caller)
    return client.request(method, _url(path, cast), params=params, json=body, headers=headers)


@pytest.mark.parametrize("role", [r.value for r in Role] + [NO_ROLE])
def test_role_matrix(role: str, client: TestClient, session: Session, context: AppContext) -> None:
    shop = build_shop(session, context)
    scope = None if role in {Role.HQ_ANALYST, Role.ADMIN} else shop.world.store_a.id
    caller = make_staff(session, [] if role == NO_ROLE else [(Role(role), scope)])
    session.commit()
    with context.sessions() as s:
        api = use(client, build_recommender(s, HashEncoder()))
    cast = Cast(shop, context, caller)
    wrong: list[str] = []
    for operation, rule in POLICY.items():
        response = _request(api, operation, cast)
        code, allowed = response.status_code, _allowed(rule, role)
        if code >= 500 or (code == 403) == allowed:
            verdict = "allowed" if allowed else "refused"
            wrong.append(f"{operation[0]} {operation[1]}: {verdict} by the table, got {code} {response.text}")
    assert wrong == []
