"""GET /tasks: the four lists built from real assignments, purchases, interactions and events."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from server.core.context import AppContext
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import auth
from tests.server.tasks.conftest import NOW, TODAY, Book

# The structured reason fields a task leaves empty where they do not apply.
BLANK = {
    "position": None,
    "days_since_last_purchase": None,
    "dormant": False,
    "days_since_contact": None,
    "channel": None,
    "contact_on": None,
    "contact_by": None,
    "note": None,
    "due_in_days": None,
    "data": {},
}


def test_the_task_list_shows_clients_dormant_clients_alerts_and_follow_ups(
    client: TestClient, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    got = client.get("/api/v1/tasks", headers=auth(context, book.vip))
    assert got.status_code == 200, got.text
    tasks = got.json()
    assert tasks["staff_id"] == book.vip.id
    assert [(t["member_name"], t["reason"]) for t in tasks["my_clients"]] == [
        ("Dan", "Primary client; dormant, no purchase for 200 days"),
        ("Eve", "Primary client; dormant, no purchase for 300 days"),
        ("Fay", "Primary client; dormant, no purchase for 250 days"),
        ("Gus", "Primary client; last purchase 10 days ago"),
        ("Hal", "Primary client; no purchase yet"),
    ]
    assert {t["kind"] for t in tasks["my_clients"]} == {"client"}
    assert tasks["my_clients"][0]["ref"] == f"client:{book.dan.id}"
    # Eve was called 10 days ago; Gus bought recently; Hal never bought.
    assert tasks["dormant"] == [
        {
            "kind": "dormant",
            "member_id": book.fay.id,
            "member_name": "Fay",
            "tier": "new",
            "reason": "No purchase for 250 days; last contact 40 days ago",
            "due_on": TODAY.isoformat(),
            "ref": f"dormant:{book.fay.id}",
            **BLANK,
            "days_since_last_purchase": 250,
            "dormant": True,
            "days_since_contact": 40,
        },
        {
            "kind": "dormant",
            "member_id": book.dan.id,
            "member_name": "Dan",
            "tier": "new",
            "reason": "No purchase for 200 days; no contact on record",
            "due_on": TODAY.isoformat(),
            "ref": f"dormant:{book.dan.id}",
            **BLANK,
            "days_since_last_purchase": 200,
            "dormant": True,
        },
    ]
    # Read events, events for others, and follow-up reminders (listed as follow-ups) are left out.
    assert tasks["alerts"] == [
        {
            "kind": "heat_alert",
            "member_id": book.gus.id,
            "member_name": "Gus",
            "tier": "new",
            "reason": "Heat index fell two weeks running: 60 → 50 → 40",
            "due_on": (NOW - timedelta(days=1)).date().isoformat(),
            "ref": f"event:{book.alert}",
            **BLANK,
            "data": {"weekly": [60, 50, 40], "week_end": "2025-02-23"},
        }
    ]
    clerk = book.world.clerk_a.display_name
    assert [(t["member_name"], t["reason"], t["due_on"], t["ref"]) for t in tasks["follow_ups"]] == [
        (
            "Gus",
            f"Follow-up to a call on 2025-02-24 by {clerk}: asked about the spring catalogue "
            "(overdue by 2 days)",
            (TODAY - timedelta(days=2)).isoformat(),
            f"follow_up:{book.follow_late}",
        ),
        (
            "Sam",
            "Follow-up to a call on 2025-02-27: asked about the spring catalogue (due in 3 days)",
            (TODAY + timedelta(days=3)).isoformat(),
            f"follow_up:{book.follow_soon}",
        ),
    ]
    fields = ("channel", "contact_on", "contact_by", "note", "due_in_days")
    assert [tuple(t[f] for f in fields) for t in tasks["follow_ups"]] == [
        ("call", "2025-02-24", clerk, "asked about the spring catalogue", -2),
        ("call", "2025-02-27", None, "asked about the spring catalogue", 3),
    ]
    clients = [(t["position"], t["days_since_last_purchase"], t["dormant"]) for t in tasks["my_clients"]]
    assert clients == [
        ("primary", 200, True),
        ("primary", 300, True),
        ("primary", 250, True),
        ("primary", 10, False),
        ("primary", None, False),
    ]


def test_managers_see_their_stores_task_lists_and_nobody_else_does(
    client: TestClient, context: AppContext, book: Book
) -> None:
    pin_clock(client, NOW)
    w = book.world
    own = client.get("/api/v1/tasks", headers=auth(context, book.vip)).json()
    for boss in (w.manager_a, w.admin):
        seen = client.get("/api/v1/tasks", params={"staff_id": book.vip.id}, headers=auth(context, boss))
        assert seen.status_code == 200 and seen.json() == own
    for stranger in (w.clerk_b, w.clerk_a, w.analyst):
        refused = client.get(
            "/api/v1/tasks", params={"staff_id": book.vip.id}, headers=auth(context, stranger)
        )
        assert refused.status_code == 403, stranger.login
        # Floor staff are refused by the store check; an analyst has no task list at all.
        reason = "store manager" if stranger is not w.analyst else "GET /tasks is for role"
        assert reason in refused.json()["detail"]
    upward = client.get("/api/v1/tasks", params={"staff_id": w.manager_a.id}, headers=auth(context, book.vip))
    assert upward.status_code == 403
    missing = client.get("/api/v1/tasks", params={"staff_id": 987654}, headers=auth(context, w.admin))
    assert missing.status_code == 404
    # A clerk with no clients has an empty list of their own.
    empty = client.get("/api/v1/tasks", headers=auth(context, w.clerk_b)).json()
    assert (empty["my_clients"], empty["dormant"], empty["alerts"], empty["follow_ups"]) == ([], [], [], [])
