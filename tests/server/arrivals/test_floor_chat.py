"""The conversation over the floor socket: the same turns as POST /members/{id}/chat."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import ClientConnection

from tests.server.arrivals.conftest import Floor
from tests.server.realtime.conftest import greet, next_frame, open_floor, token_for


def ask(ws: ClientConnection, ref: Any, **body: Any) -> dict[str, Any]:
    """Send one chat frame and read frames until the reply with `ref`."""
    ws.send(json.dumps({"type": "chat", "ref": ref, **body}))
    while (frame := next_frame(ws)).get("ref") != ref:
        assert frame["type"] in ("ping", "event"), frame
    return frame


def test_a_conversation_over_the_socket_keeps_its_session(floor: Floor) -> None:
    clerk = floor.shop.world.clerk_a
    member = floor.shop.regular.id
    with open_floor(floor.live.url, token_for(floor.live.context, clerk)) as ws:
        greet(ws)
        first = ask(ws, 1, member_id=member, message="a gift for her mother under 30")
        assert first["type"] == "chat" and first["turn"]["turn_no"] == 1
        assert first["turn"]["items"] and all(i["price"] < 30 for i in first["turn"]["items"])
        session_id = first["turn"]["session_id"]
        cheaper = ask(ws, "two", member_id=member, message="cheaper", session_id=session_id)
        turn = cheaper["turn"]
        assert (turn["session_id"], turn["turn_no"]) == (session_id, 2)
        top = max(i["price"] for i in first["turn"]["items"])
        assert all(i["price"] < top for i in turn["items"])
    # The turns are the HTTP chat's: the log shows both.
    token = token_for(floor.live.context, clerk)
    log = floor.http.get(f"/api/v1/chat/{session_id}", headers={"Authorization": f"Bearer {token}"})
    assert log.status_code == 200 and [t["message"] for t in log.json()["turns"]] == [
        "a gift for her mother under 30",
        "cheaper",
    ]


def test_a_refused_chat_says_why_and_keeps_the_socket(floor: Floor) -> None:
    clerk_b = floor.shop.world.clerk_b  # works in store B; the regular is a member of store A
    with open_floor(floor.live.url, token_for(floor.live.context, clerk_b)) as ws:
        greet(ws)
        refused = ask(ws, 1, member_id=floor.shop.regular.id, message="a candle")
        assert refused["type"] == "error" and refused["status"] == 403, refused
        bad = ask(ws, 2, message="a candle")
        assert bad["status"] == 422 and "member_id" in bad["detail"]
        unknown = ask(ws, 3, member_id=999999, message="a candle")
        assert unknown["status"] == 404
        ws.send(json.dumps({"type": "ping"}))
        assert next_frame(ws)["type"] == "pong"  # still open
