"""What the clerk typed and what the recommender answered are sealed in the chat's rows."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.core.context import AppContext
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import Shop

MESSAGE = "something zorblax for her sister's wedding"


def test_a_chat_turn_is_sealed_in_its_row_and_read_back_in_clear(
    api: TestClient, shop: Shop, context: AppContext, session: Session
) -> None:
    headers = auth(context, shop.world.clerk_a)
    r = api.post(f"/api/v1/members/{shop.regular.id}/chat", json={"message": MESSAGE}, headers=headers)
    assert r.status_code == 200, r.text
    turn = r.json()
    assert turn["message"] == MESSAGE and "zorblax" in turn["constraints"]["topic"]
    stored = "\n".join(str(tuple(row)) for row in session.execute(text("SELECT * FROM chat_turns")))
    # The words are sealed; what the recommender parsed from them (recipient, occasion, prices) is not.
    assert "zorblax" not in stored and "sister" not in stored, stored
    # The next turn reads the first one's words back (its topic), and the log shows both in clear.
    again = {"session_id": turn["session_id"], "message": "cheaper"}
    assert api.post(f"/api/v1/members/{shop.regular.id}/chat", json=again, headers=headers).status_code == 200
    log = api.get(f"/api/v1/chat/{turn['session_id']}", headers=headers).json()
    assert [t["message"] for t in log["turns"]] == [MESSAGE, "cheaper"]
    assert log["turns"][0]["reply"] == turn["reply"] and "zorblax" in log["turns"][1]["constraints"]["topic"]
