"""Interaction notes and chat text are sealed in the database and read back in clear."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from models.conversation import Constraints
from server.app import create_app
from server.core.context import AppContext
from server.db.tables import ChatSession, ChatTurn, Interaction
from server.recommendations.chat import constraints_json
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, make_member

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)
NOTE = "her husband's surgery went well; wants the zorblax scarf in navy"


def raw(session: Session, table: str) -> str:
    """Every column of every row of `table`, as the database holds them (what a dump would show)."""
    return "\n".join(str(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}")))


def test_a_logged_note_is_sealed_in_its_row_and_read_back_in_clear(
    client: TestClient, session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    session.commit()
    pin_clock(client, NOW)
    url = f"/api/v1/members/{ann.id}/interactions"
    body = {"channel": "call", "note": NOTE, "follow_up_on": "2024-07-02", "idempotency_key": "k-1"}
    headers = auth(context, world.clerk_a)
    assert client.post(url, json=body, headers=headers).json()["note"] == NOTE
    assert client.post(url, json=body, headers=headers).json()["note"] == NOTE  # the replayed key
    session.expire_all()
    stored = raw(session, "interactions")
    assert "zorblax" not in stored and "surgery" not in stored, stored
    # Every reader sees the note as it was written: the list, the 360° view and the task list.
    assert client.get(url, headers=headers).json()["items"][0]["note"] == NOTE
    profile = client.get(f"/api/v1/members/{ann.id}/profile", headers=headers).json()
    assert profile["interactions"][0]["note"] == NOTE
    assert any(NOTE in u["text"] for u in profile["upcoming"] if u["kind"] == "follow_up")
    tasks = client.get("/api/v1/tasks", headers=headers).json()
    assert any(t["note"] == NOTE for t in tasks["follow_ups"]), tasks["follow_ups"]


def test_text_stored_in_clear_before_is_sealed_once_at_start_up(
    session: Session, context: AppContext, world: World
) -> None:
    ann = make_member(session, context.keys, world.store_a)
    chat_id = str(uuid.uuid4())
    session.add(Interaction(member_id=ann.id, channel="call", note=NOTE, occurred_at=NOW))
    session.add(Interaction(member_id=ann.id, channel="call", note="", occurred_at=NOW))
    session.add(ChatSession(id=chat_id, member_id=ann.id, staff_id=world.clerk_a.id))
    topic = Constraints(topic="zorblax lanterns")
    session.add(
        ChatTurn(
            session_id=chat_id,
            turn_no=1,
            staff_id=world.clerk_a.id,
            utterance="zorblax lanterns for the garden",
            lang="en",
            constraints=constraints_json(topic),
            items=[],
            message="Nothing zorblax in the catalogue yet.",
            model_version="v-old",
        )
    )
    session.commit()
    assert "zorblax" in raw(session, "interactions") and "zorblax" in raw(session, "chat_turns")

    headers = auth(context, world.clerk_a)
    with TestClient(create_app(context.settings, context=context)) as client:
        notes = client.get(f"/api/v1/members/{ann.id}/interactions", headers=headers).json()["items"]
        log = client.get(f"/api/v1/chat/{chat_id}", headers=headers).json()
    session.expire_all()
    sealed = raw(session, "interactions"), raw(session, "chat_turns")
    assert all("zorblax" not in table for table in sealed), sealed
    assert sorted(n["note"] for n in notes) == ["", NOTE]
    turn = log["turns"][0]
    assert (turn["message"], turn["reply"]) == (
        "zorblax lanterns for the garden",
        "Nothing zorblax in the catalogue yet.",
    )
    assert turn["constraints"]["topic"] == "zorblax lanterns"

    # Started again (or by a second process): nothing is sealed twice.
    with TestClient(create_app(context.settings, context=context)):
        pass
    session.expire_all()
    assert (raw(session, "interactions"), raw(session, "chat_turns")) == sealed
