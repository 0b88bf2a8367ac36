"""The demo of historical data runs the business clock from the day after the data ends: a consultant
assigned there is "since" that day, not since the wall clock's today."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from server.core.context import AppContext
from server.db.base import utcnow
from tests.fixtures.factories import auth
from tests.server.assignments.conftest import Team

DEMO_DAY = datetime(2011, 12, 10, 9, tzinfo=UTC)  # the Online Retail demo's first day


def test_an_assignment_on_the_demo_clock_is_dated_by_it(
    client: TestClient, context: AppContext, team: Team
) -> None:
    client.app.state.clock_offset = DEMO_DAY - utcnow()  # type: ignore[attr-defined]  # what `aisle demo` sets
    boss = auth(context, team.world.manager_a)
    url = f"/api/v1/members/{team.ann.id}/consultants"
    made = client.put(f"{url}/primary", json={"staff_id": team.vip.id}, headers=boss)
    assert made.status_code == 201, made.text
    assert made.json()["assigned_at"].startswith("2011-12-10")
    profile = client.get(f"/api/v1/members/{team.ann.id}/profile", headers=auth(context, team.vip)).json()
    assert [(c["staff_id"], c["since"][:10]) for c in profile["consultants"]] == [(team.vip.id, "2011-12-10")]
    # Ending it is dated on the demo's clock too: the history reads in one calendar.
    ended = client.delete(f"{url}/primary", headers=boss)
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_at"].startswith("2011-12-10")
