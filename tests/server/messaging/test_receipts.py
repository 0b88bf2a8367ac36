"""Delivery receipts move a message forward once, however often a provider repeats them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, OutboxMessage
from server.messaging.outbox import enqueue
from tests.server.messaging.conftest import Clock, Dispatchers

URL = "/api/v1/messaging/webhooks/console/receipts"


def test_a_receipt_applies_once_and_a_final_state_stays(
    client: TestClient,
    session: Session,
    context: AppContext,
    member: Member,
    clock: Clock,
    dispatchers: Dispatchers,
) -> None:
    context.settings.messaging_webhook_secret = SecretStr("hook-secret")
    row = enqueue(
        session, member.id, "tier_change", {"old_tier": "a", "new_tier": "b"}, key="t-1", now=clock.now
    )
    session.commit()
    dispatchers().run_once()
    report = {"key": "t-1", "status": "delivered"}
    assert client.post(URL, json=report, auth=("console", "wrong")).status_code == 401
    first = client.post(URL, json=report, auth=("console", "hook-secret"))
    again = client.post(URL, json=report, auth=("console", "hook-secret"))
    late_failure = client.post(URL, json={"key": "t-1", "status": "failed"}, auth=("console", "hook-secret"))
    assert [r.json()["changed"] for r in (first, again, late_failure)] == [1, 0, 0]
    session.expire_all()
    found = session.get(OutboxMessage, row.id)
    assert found is not None and found.status == "delivered" and found.finished_at is not None
    bad = client.post(URL, json={"status": "lost"}, auth=("console", "hook-secret"))
    assert bad.status_code == 422
