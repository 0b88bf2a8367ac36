"""Hostile input gets a clear 4xx with its reason, never a 500 (issue 16, item 14)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.app import create_app
from server.core.context import AppContext
from server.core.deps import SessionDep
from server.db.tables import Member
from tests.fixtures.factories import World, auth, build_world, make_member, make_product

API = "/api/v1"
TOO_BIG = 2**63  # one more than a BIGINT holds
# A guard against a hang, not a measure of speed: the floor answers a frame at once or never.
SILENT_SECONDS = 20


@pytest.fixture
def world(session: Session) -> World:
    """Stores A and B and their staff."""
    return build_world(session)


@pytest.fixture
def member(session: Session, context: AppContext, world: World) -> Member:
    """A member of store A."""
    found = make_member(session, context.keys, world.store_a, name="Ann")
    session.commit()
    return found


def _problem(response: Any) -> dict[str, Any]:
    """The first validation problem of a 422 (FastAPI's list shape)."""
    assert response.status_code == 422, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return detail[0]  # type: ignore[no-any-return]


# -- integers the database cannot hold -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"/members/{TOO_BIG}/profile", "member_id"),
        (f"/members/{TOO_BIG}/points", "member_id"),
        (f"/members/{TOO_BIG}/transactions", "member_id"),
        (f"/members/{TOO_BIG}/recommendations", "member_id"),
        (f"/members/{TOO_BIG}/consultants", "member_id"),
        (f"/stores/{TOO_BIG}", "store_id"),
        (f"/stores/{TOO_BIG}/consultants", "store_id"),
        (f"/products/{TOO_BIG}", "product_id"),
        (f"/staff/{TOO_BIG}/clients", "staff_id"),
        (f"/rules/{TOO_BIG}", "rule_id"),
    ],
)
def test_an_id_in_the_path_too_large_for_the_database_is_a_422_naming_it(
    client: TestClient, context: AppContext, world: World, path: str, name: str
) -> None:
    problem = _problem(client.get(API + path, headers=auth(context, world.admin)))
    assert problem["loc"] == ["path", name]
    assert problem["type"] == "less_than_equal"


@pytest.mark.parametrize(
    "query",
    [
        "/products?offset=9223372036854775808",
        "/members/lookup?card=TEST0001&store_id=9223372036854775808",
        "/events?store_id=9223372036854775808",
        "/tasks?staff_id=9223372036854775808",
        "/staff?store_id=9223372036854775808",
    ],
)
def test_a_number_in_the_query_too_large_for_the_database_is_a_422(
    client: TestClient, context: AppContext, world: World, query: str
) -> None:
    problem = _problem(client.get(API + query, headers=auth(context, world.admin)))
    assert problem["loc"][0] == "query"


def test_a_number_in_a_body_too_large_for_the_database_is_a_422_naming_the_field(
    client: TestClient, context: AppContext, world: World, member: Member
) -> None:
    sale = {"store_id": TOO_BIG, "idempotency_key": "k1", "lines": [{"sku": "X", "quantity": 1}]}
    r = client.post(f"{API}/transactions", json=sale, headers=auth(context, world.manager_a))
    assert _problem(r)["loc"] == ["body", "store_id"]
    redemption = {"points": 10, "store_id": TOO_BIG, "idempotency_key": "k2"}
    r = client.post(
        f"{API}/members/{member.id}/redemptions", json=redemption, headers=auth(context, world.manager_a)
    )
    assert _problem(r)["loc"] == ["body", "store_id"]
    r = client.get(f"{API}/members/{TOO_BIG}", headers=auth(context, world.admin))
    assert _problem(r)["loc"] == ["path", "member_id"]
    r = client.get(f"{API}/members/{TOO_BIG}/interactions", headers=auth(context, world.admin))
    assert _problem(r)["loc"] == ["path", "member_id"]
    note = {"channel": "call", "store_id": TOO_BIG, "follow_up_on": "9999-12-31"}
    r = client.post(
        f"{API}/members/{member.id}/interactions", json=note, headers=auth(context, world.manager_a)
    )
    assert {tuple(p["loc"]) for p in r.json()["detail"]} == {("body", "store_id"), ("body", "follow_up_on")}
    r = client.put(
        f"{API}/members/{member.id}/consultants/primary",
        json={"staff_id": TOO_BIG},
        headers=auth(context, world.manager_a),
    )
    assert _problem(r)["loc"] == ["body", "staff_id"]


def test_where_no_bound_is_declared_the_databases_overflow_is_a_422_not_a_500(context: AppContext) -> None:
    # Every route of the API bounds its ids; a route that forgot would reach the database with 2^63.
    app = create_app(context.settings, context=context)

    @app.get("/probe/{member_id}")
    def probe(member_id: int, session: SessionDep) -> dict[str, bool]:
        return {"found": session.get(Member, member_id) is not None}

    with TestClient(app) as client:
        r = client.get(f"/probe/{TOO_BIG}")
    assert r.status_code in (200, 422), r.text  # PostgreSQL compares as numeric and finds nobody
    if r.status_code == 422:
        assert isinstance(r.json()["detail"], str)


# -- NaN, Infinity, dates out of any calendar ----------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_json_body_are_a_422(
    client: TestClient, context: AppContext, world: World, constant: str
) -> None:
    rule = '{"name": "big", "rule": {"fact": "monetary_12m", "op": "gt", "value": ' + constant + "}}"
    r = client.post(
        f"{API}/rules",
        content=rule,
        headers=auth(context, world.admin) | {"content-type": "application/json"},
    )
    problem = _problem(r)
    assert problem["loc"] == ["body"] and constant.lstrip("-") in problem["msg"]


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-23:00"])
def test_as_of_outside_1900_to_2200_is_a_422(
    client: TestClient, context: AppContext, world: World, member: Member, as_of: str
) -> None:
    r = client.get(
        f"{API}/members/{member.id}/profile", params={"as_of": as_of}, headers=auth(context, world.admin)
    )
    problem = _problem(r)
    assert problem["loc"] == ["query", "as_of"] and "1900-01-01" in problem["msg"]


def test_a_sale_dated_in_year_9999_is_a_422(client: TestClient, context: AppContext, world: World) -> None:
    make_product_sale = {
        "store_id": world.store_a.id,
        "idempotency_key": "k3",
        "occurred_at": "9999-12-31T23:59:59Z",
        "lines": [{"sku": "X", "quantity": 1}],
    }
    r = client.post(f"{API}/transactions", json=make_product_sale, headers=auth(context, world.manager_a))
    assert _problem(r)["loc"] == ["body", "occurred_at"]


# -- control characters in searches --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/members", "/products"])
def test_a_nul_in_a_search_is_a_422_not_every_row(
    client: TestClient, context: AppContext, session: Session, world: World, member: Member, path: str
) -> None:
    make_product(session, name="Candle")
    session.commit()
    r = client.get(f"{API}{path}", params={"q": "\x00"}, headers=auth(context, world.admin))
    problem = _problem(r)
    assert problem["loc"] == ["query", "q"] and "control characters" in problem["msg"]


def test_a_nul_in_a_json_text_is_a_422(client: TestClient, context: AppContext, world: World) -> None:
    r = client.post(
        f"{API}/stores", json={"code": "NUL-1", "name": "Store\x00"}, headers=auth(context, world.admin)
    )
    assert "NUL" in _problem(r)["msg"]


# -- request bodies: size and depth --------------------------------------------------------------------


@pytest.fixture
def small_limit(context: AppContext) -> Iterator[TestClient]:
    """A client of an app that accepts bodies of at most 4 kB."""
    settings = context.settings.model_copy(update={"max_body_bytes": 4096})
    with TestClient(create_app(settings, context=context)) as c:
        yield c


def test_a_body_over_the_limit_is_a_413_before_the_endpoint_asks_who_is_calling(
    small_limit: TestClient,
) -> None:
    # Anonymous: an endpoint would answer 401; the guard answers first, without reading the body.
    r = small_limit.post(
        f"{API}/transactions", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "4096 bytes" in r.json()["detail"]


def test_a_streamed_body_without_a_length_is_counted_and_refused_over_the_limit(
    small_limit: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    r = small_limit.post(
        f"{API}/transactions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_a_body_under_the_limit_still_reaches_the_endpoint(small_limit: TestClient) -> None:
    r = small_limit.post(f"{API}/transactions", json={"store_id": 1})
    assert r.status_code == 401


def test_a_json_body_nested_thousands_deep_is_a_422_not_a_500(
    client: TestClient, context: AppContext, world: World
) -> None:
    deep = '{"name": "deep", "rule": ' + "[" * 5000 + "]" * 5000 + "}"
    r = client.post(
        f"{API}/rules",
        content=deep,
        headers=auth(context, world.admin) | {"content-type": "application/json"},
    )
    assert "nested deeper" in _problem(r)["msg"]


# -- the floor socket ----------------------------------------------------------------------------------


def _floor(client: TestClient, context: AppContext, world: World) -> Any:
    token = auth(context, world.clerk_a)["Authorization"]
    # Signed in by header and by subprotocol, so the test holds whichever the socket reads.
    return client.websocket_connect(
        f"{API}/ws/floor",
        headers={"Authorization": token},
        subprotocols=["aisle.v1", "bearer." + token.removeprefix("Bearer ")],
    )


def _until(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of `kind`; fails (rather than hangs) if the socket goes silent, as it did."""

    async def receive() -> dict[str, Any]:
        with anyio.fail_after(SILENT_SECONDS):
            message: dict[str, Any] = await ws._send_rx.receive()
            return message

    while True:
        message = ws.portal.call(receive)
        assert message["type"] == "websocket.send", f"the socket closed: {message}"
        frame: dict[str, Any] = json.loads(message["text"])
        if frame["type"] == kind:
            return frame


def test_a_deeply_nested_frame_is_answered_and_the_socket_stays(
    client: TestClient, context: AppContext, world: World
) -> None:
    with _floor(client, context, world) as ws:
        _until(ws, "ready")
        ws.send_text("[" * 20_000 + "]" * 20_000)  # 40 kB: under the size cap
        error = _until(ws, "error")
        assert error["status"] == 422 and "nest" in error["detail"]
        ws.send_text(json.dumps({"type": "ping"}))
        assert _until(ws, "pong")["type"] == "pong"


def test_an_oversized_frame_is_answered_413_and_the_socket_stays(
    client: TestClient, context: AppContext, world: World
) -> None:
    with _floor(client, context, world) as ws:
        _until(ws, "ready")
        ws.send_text(json.dumps({"type": "chat", "message": "x" * 100_000}))
        assert _until(ws, "error")["status"] == 413
        ws.send_text(json.dumps({"type": "ping"}))
        _until(ws, "pong")


def test_a_chat_frame_with_a_member_id_too_large_is_a_422_frame(
    client: TestClient, context: AppContext, world: World
) -> None:
    with _floor(client, context, world) as ws:
        _until(ws, "ready")
        ws.send_text(json.dumps({"type": "chat", "ref": 7, "member_id": TOO_BIG, "message": "a gift"}))
        error = _until(ws, "error")
        assert (error["ref"], error["status"]) == (7, 422) and "member_id" in error["detail"]


# -- error bodies as the OpenAPI document declares them ------------------------------------------------


def _declared(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    responses = spec["paths"][path][method]["responses"]
    response = responses.get(str(status)) or responses["default"]
    schema = response["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def test_error_bodies_match_the_schemas_the_openapi_document_declares(
    client: TestClient, context: AppContext, world: World
) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    headers = auth(context, world.clerk_a)
    # A service's 422 ({"detail": "text"}), FastAPI's own 422 (a list), a 404, a 401 and the guard's 413.
    cases = [
        ("/members/lookup", "get", client.get(f"{API}/members/lookup", headers=headers), 422),
        ("/members/lookup", "get", client.get(f"{API}/members/lookup?store_id=x", headers=headers), 422),
        ("/products/{product_id}", "get", client.get(f"{API}/products/999999", headers=headers), 404),
        ("/products/{product_id}", "get", client.get(f"{API}/products/1"), 401),
    ]
    for path, method, response, status in cases:
        assert response.status_code == status, (path, response.text)
        jsonschema_rs.validate(_declared(spec, API + path, method, status), response.json())
