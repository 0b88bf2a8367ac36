"""POST /tasks/done: each kind of task, replays that change nothing, and refusals with reasons."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Interaction, MemberEvent, TaskCompletion
from server.interactions.service import remind_follow_ups
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import auth
from tests.server.tasks.conftest import NOW, Book

URL = "/api/v1/tasks/done"


def _refs(client: TestClient, headers: dict[str, str], key: str) -> list[str]:
    return [t["ref"] for t in client.get("/api/v1/tasks", headers=headers).json()[key]]


def _completions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TaskCompletion)) or 0)


def test_acknowledging_an_alert_once_however_often_the_phone_replays_it(
    client: TestClient, session: Session, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    me = auth(context, book.vip)
    body = {"ref": f"event:{book.alert}", "idempotency_key": "phone-1:0001"}
    first = client.post(URL, json=body, headers=me)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "ref": f"event:{book.alert}",
        "kind": "event",
        "staff_id": book.vip.id,
        "done_at": first.json()["done_at"],
        "idempotency_key": "phone-1:0001",
    }
    assert first.json()["done_at"].startswith("2025-03-01T09:30")
    event = session.get_one(MemberEvent, book.alert)
    assert event.acknowledged_at == NOW
    pin_clock(client, NOW + timedelta(hours=2))
    again = client.post(URL, json=body, headers=me)
    assert again.status_code == 200 and again.json() == first.json()
    session.expire_all()
    assert session.get_one(MemberEvent, book.alert).acknowledged_at == NOW
    assert _completions(session) == 1
    assert _refs(client, me, "alerts") == []
    reused = client.post(
        URL, json={"ref": f"dormant:{book.dan.id}", "idempotency_key": "phone-1:0001"}, headers=me
    )
    assert reused.status_code == 409 and f"event:{book.alert}" in reused.json()["detail"]


def test_a_follow_up_marked_done_leaves_the_list_and_is_not_reminded(
    client: TestClient, session: Session, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    me = auth(context, book.vip)
    for ref, key in ((book.follow_late, "k-late"), (book.follow_soon, "k-soon")):
        done = client.post(URL, json={"ref": f"follow_up:{ref}", "idempotency_key": key}, headers=me)
        assert done.status_code == 201 and done.json()["kind"] == "follow_up", done.text
    session.expire_all()
    assert session.get_one(Interaction, book.follow_late).follow_up_done_at == NOW
    assert session.get_one(MemberEvent, book.reminder).acknowledged_at == NOW  # its reminder is read too
    assert _refs(client, me, "follow_ups") == []
    # Three days on, the nightly job has nothing to say about the follow-up already done.
    remind_follow_ups(session, NOW + timedelta(days=3))
    session.commit()
    reminded = select(MemberEvent).where(MemberEvent.dedup_key == f"follow-up:{book.follow_soon}")
    assert session.scalars(reminded).all() == []


def test_a_dormant_client_marked_done_stays_off_the_list_for_thirty_days(
    client: TestClient, session: Session, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    me = auth(context, book.vip)
    before = {
        c["staff_id"]: c["open_task_count"]
        for c in client.get(
            f"/api/v1/stores/{book.world.store_a.id}/consultants", headers=auth(context, book.world.manager_a)
        ).json()
    }
    done = client.post(URL, json={"ref": f"dormant:{book.dan.id}", "idempotency_key": "k-dan"}, headers=me)
    assert done.status_code == 201, done.text
    assert _refs(client, me, "dormant") == [f"dormant:{book.fay.id}"]
    after = client.get(
        f"/api/v1/stores/{book.world.store_a.id}/consultants", headers=auth(context, book.world.manager_a)
    ).json()
    assert {c["staff_id"]: c["open_task_count"] for c in after}[book.vip.id] == before[book.vip.id] - 1
    # A month on, Dan is due again; so is Eve, whose last call is now 41 days old.
    pin_clock(client, NOW + timedelta(days=31))
    later = [f"dormant:{m.id}" for m in (book.eve, book.fay, book.dan)]
    assert _refs(client, me, "dormant") == later


def test_unknown_malformed_and_foreign_refs_are_refused_with_the_reason(
    client: TestClient, session: Session, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    w = book.world
    me = auth(context, book.vip)

    def post(ref: str, headers: dict[str, str] = me) -> tuple[int, str]:
        r = client.post(URL, json={"ref": ref, "idempotency_key": f"k-{ref}-{len(headers)}"}, headers=headers)
        return r.status_code, r.json()["detail"] if r.status_code >= 400 else ""

    status, why = post("lunch:3")
    assert status == 422 and "follow_up:<interaction id>" in why
    status, why = post(f"client:{book.dan.id}")
    assert status == 422 and "client list" in why
    others = session.scalars(select(MemberEvent.id).where(MemberEvent.staff_id == w.clerk_a.id)).one()
    status, why = post(f"event:{others}")
    assert status == 403 and "addressed to" in why
    assert post("event:987654")[0] == 404
    assert post("follow_up:987654")[0] == 404
    plain = session.scalars(select(Interaction.id).where(Interaction.follow_up_on.is_(None))).first()
    assert post(f"follow_up:{plain}")[0] == 404
    status, why = post(f"follow_up:{book.follow_late}", auth(context, w.clerk_b))
    assert status == 403 and "consultant" in why
    status, why = post(f"dormant:{book.dan.id}", auth(context, w.clerk_a))
    assert status == 403 and "not your client" in why
    assert post("dormant:987654")[0] == 404
    assert _completions(session) == 0
    # The manager of the member's store may close a consultant's task for them.
    assert post(f"dormant:{book.dan.id}", auth(context, w.manager_a))[0] == 201
