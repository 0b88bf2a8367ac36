"""Who may open the floor socket: refusals arrive as close codes with a reason, after the handshake."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, tzinfo

import jwt
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from server.auth.tokens import issue_token
from server.db.base import utcnow
from server.db.tables import Staff, StaffRole
from tests.fixtures.factories import World
from tests.server.realtime.conftest import (
    HEARTBEAT,
    WAIT,
    LiveServer,
    close_code,
    floor_url,
    greet,
    next_frame,
    open_floor,
    subprotocols,
    token_for,
)


def refusal(live: LiveServer, token: str | None, **params: object) -> tuple[int, str]:
    with open_floor(live.url, token, **params) as ws:
        if token is None:
            ws.send(json.dumps({"type": "ping"}))  # a first frame that is not {"type": "auth"}
        return close_code(ws)


def test_refusals_carry_a_code_and_a_reason(live: LiveServer, world: World, session: Session) -> None:
    ctx = live.context
    good = token_for(ctx, world.clerk_a)
    expired = issue_token(
        ctx.keys.jwt, staff_id=world.clerk_a.id, version=0, minutes=5, now=utcnow() - timedelta(minutes=10)
    )
    cases: list[tuple[str | None, dict[str, object], int, str]] = [
        (None, {}, 4401, "not signed in"),
        ("not-a-jwt", {}, 4401, "invalid token"),
        (token_for(ctx, world.clerk_a)[:-4] + "AAAA", {}, 4401, "invalid token"),
        (expired, {}, 4401, "token expired"),
        (token_for(ctx, world.nobody), {}, 4403, "no role assigned"),
        (good, {"store_id": world.store_b.id}, 4403, f"no role in store {world.store_b.id}"),
        (good, {"store_id": 987654}, 4404, "store 987654 does not exist"),
        (good, {"since": "yesterday"}, 4400, "since='yesterday' must be a whole number"),
        (good, {"since": "-1"}, 4400, "since='-1' must be a whole number"),
        (good, {"store_id": "A"}, 4400, "store_id='A' must be a whole number"),
    ]
    for token, params, code, reason in cases:
        got_code, got_reason = refusal(live, token, **params)
        assert (got_code, reason in got_reason) == (code, True), (params, got_code, got_reason)

    staff = session.get(Staff, world.clerk_a.id)
    assert staff is not None
    staff.token_version += 1  # a password change revokes every earlier token
    session.commit()
    assert refusal(live, good) == (4401, "token revoked: sign in again")
    staff.active = False
    session.commit()
    assert refusal(live, token_for(ctx, staff))[0] == 4401


def test_a_token_revoked_mid_shift_closes_the_socket(
    live: LiveServer, world: World, session: Session
) -> None:
    with open_floor(live.url, token_for(live.context, world.clerk_a)) as ws:
        greet(ws)
        staff = session.get(Staff, world.clerk_a.id)
        assert staff is not None
        staff.token_version += 1
        session.commit()
        assert close_code(ws) == (4401, "token revoked: sign in again")  # at the next heartbeat


def test_losing_the_store_role_takes_you_off_its_floor(
    live: LiveServer, world: World, session: Session
) -> None:
    with open_floor(live.url, token_for(live.context, world.clerk_b)) as ws:
        assert greet(ws)[0]["store_id"] == world.store_b.id
        session.execute(delete(StaffRole).where(StaffRole.staff_id == world.clerk_b.id))
        session.commit()
        code, reason = close_code(ws)
        assert code == 4403 and "no role" in reason


class AnHourLater(datetime):
    """PyJWT's clock, an hour and a minute ahead of the wall clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> AnHourLater:
        return cls.fromtimestamp((datetime.now(tz) + timedelta(minutes=61)).timestamp(), tz)


def test_a_token_that_expires_mid_shift_closes_the_socket(
    live: LiveServer, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issued for 60 minutes; once the socket is open the clock moves past that (no waiting for it).
    token = issue_token(live.context.keys.jwt, staff_id=world.clerk_a.id, version=0, minutes=60, now=utcnow())
    with open_floor(live.url, token) as ws:
        greet(ws)
        monkeypatch.setattr(jwt.api_jwt, "datetime", AnHourLater)
        assert close_code(ws) == (4401, "token expired: sign in again")  # at the next heartbeat


def test_a_client_that_can_send_headers_may_use_authorization(live: LiveServer, world: World) -> None:
    headers = {"Authorization": f"Bearer {token_for(live.context, world.clerk_a)}"}
    with connect(floor_url(live.url), additional_headers=headers, open_timeout=WAIT) as ws:
        assert greet(ws)[0]["staff_id"] == world.clerk_a.id


def test_the_token_in_the_sec_websocket_protocol_header(live: LiveServer, world: World) -> None:
    with open_floor(live.url, token_for(live.context, world.clerk_a), since=0) as ws:
        # The server names the protocol it speaks, never echoing the token back.
        assert ws.subprotocol == "aisle.v1"
        assert greet(ws)[0]["staff_id"] == world.clerk_a.id


def test_the_token_in_a_first_auth_frame(live: LiveServer, world: World) -> None:
    with open_floor(live.url, None) as ws:
        assert ws.subprotocol == "aisle.v1"
        ws.send(json.dumps({"type": "auth", "token": token_for(live.context, world.clerk_a)}))
        assert greet(ws)[0]["staff_id"] == world.clerk_a.id
    with connect(floor_url(live.url), open_timeout=WAIT) as ws:  # a client that offers no subprotocol
        ws.send(json.dumps({"type": "auth", "token": "not-a-jwt"}))
        code, reason = close_code(ws)
        assert code == 4401 and "invalid token" in reason


def test_a_token_in_the_url_is_refused_with_the_way_to_send_it(live: LiveServer, world: World) -> None:
    # Old phones put it in ?token=, which lands in every access log on the way: refused, loudly.
    good = token_for(live.context, world.clerk_a)
    with connect(f"{floor_url(live.url)}?token={good}", open_timeout=WAIT) as ws:
        code, reason = refused_at_once(ws)
    assert code == 4401
    assert "bearer.<token>" in reason and '{"type":"auth"' in reason, reason
    url = f"{floor_url(live.url)}?token={good}"
    with connect(url, subprotocols=subprotocols(good), open_timeout=WAIT) as ws:
        assert refused_at_once(ws)[0] == 4401


def refused_at_once(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason of a socket the server closes before its first frame."""
    try:
        frame = ws.recv(timeout=WAIT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "the connection dropped without a close frame"
        return exc.rcvd.code, exc.rcvd.reason
    raise AssertionError(f"served instead of refused: {frame!r}")


def test_heartbeat_ping_and_pong(live: LiveServer, world: World) -> None:
    with open_floor(live.url, token_for(live.context, world.clerk_a)) as ws:
        hello, _, _ = greet(ws)
        assert hello["heartbeat_seconds"] == HEARTBEAT
        # The server pings on its own ...
        assert next_frame(ws, skip=())["type"] == "ping"
        # ... answers a client's ping, and says so when it does not understand a frame.
        ws.send(json.dumps({"type": "ping"}))
        assert next_frame(ws)["type"] == "pong"
        ws.send("hello?")
        assert next_frame(ws)["type"] == "error"
        ws.send(json.dumps({"type": "pong"}))  # a reply to the server's ping is welcome and silent
        ws.send(json.dumps({"type": "ping"}))
        assert next_frame(ws)["type"] == "pong"
