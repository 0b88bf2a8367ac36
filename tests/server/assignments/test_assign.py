"""Assigning consultants: who may, who can be one, reassigning, swapping, ending, and the history kept."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import ConsultantAssignment
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import auth
from tests.server.assignments.conftest import NOW, Team


def _rows(session: Session, member_id: int) -> list[tuple[int, str, bool]]:
    """(staff, position, active) of every assignment the member ever had, oldest first."""
    session.expire_all()
    stmt = (
        select(ConsultantAssignment)
        .where(ConsultantAssignment.member_id == member_id)
        .order_by(ConsultantAssignment.id)
    )
    return [(a.staff_id, a.position, a.ended_at is None) for a in session.scalars(stmt)]


def test_reassigning_ends_the_old_assignment_and_the_same_person_again_changes_nothing(
    client: TestClient, session: Session, context: AppContext, team: Team
) -> None:
    pin_clock(client, NOW)
    boss = auth(context, team.world.manager_a)
    url = f"/api/v1/members/{team.ann.id}/consultants"
    first = client.put(f"{url}/primary", json={"staff_id": team.vip.id}, headers=boss)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["staff_id"], body["name"], body["position"], body["ended_at"]) == (
        team.vip.id,
        team.vip.display_name,
        "primary",
        None,
    )
    assert body["assigned_by_id"] == team.world.manager_a.id and body["assigned_at"].startswith(
        "2025-03-01T09:30"
    )
    again = client.put(f"{url}/primary", json={"staff_id": team.vip.id}, headers=boss)
    assert again.status_code == 200 and again.json() == body
    moved = client.put(f"{url}/primary", json={"staff_id": team.vip2.id}, headers=boss)
    assert moved.status_code == 201 and moved.json()["id"] != body["id"]
    assert _rows(session, team.ann.id) == [(team.vip.id, "primary", False), (team.vip2.id, "primary", True)]
    ended = session.get(ConsultantAssignment, body["id"])
    assert ended is not None and ended.ended_at == NOW
    listed = client.get(url, headers=auth(context, team.world.clerk_a)).json()
    assert [(c["staff_id"], c["position"]) for c in listed] == [(team.vip2.id, "primary")]


def test_moving_the_secondary_to_primary_swaps_them_and_nobody_holds_both(
    client: TestClient, session: Session, context: AppContext, team: Team
) -> None:
    pin_clock(client, NOW)
    admin = auth(context, team.world.admin)
    url = f"/api/v1/members/{team.ann.id}/consultants"
    assert client.put(f"{url}/primary", json={"staff_id": team.vip.id}, headers=admin).status_code == 201
    assert client.put(f"{url}/secondary", json={"staff_id": team.vip2.id}, headers=admin).status_code == 201
    swap = client.put(f"{url}/primary", json={"staff_id": team.vip2.id}, headers=admin)
    assert swap.status_code == 201 and swap.json()["staff_id"] == team.vip2.id
    listed = client.get(url, headers=admin).json()
    assert [(c["position"], c["staff_id"], c["name"]) for c in listed] == [
        ("primary", team.vip2.id, team.vip2.display_name),
        ("secondary", team.vip.id, team.vip.display_name),
    ]
    # Bob has only a primary: moving them to secondary leaves the primary empty.
    bob = f"/api/v1/members/{team.bob.id}/consultants"
    assert client.put(f"{bob}/primary", json={"staff_id": team.vip.id}, headers=admin).status_code == 201
    assert client.put(f"{bob}/secondary", json={"staff_id": team.vip.id}, headers=admin).status_code == 201
    assert [(c["position"], c["staff_id"]) for c in client.get(bob, headers=admin).json()] == [
        ("secondary", team.vip.id)
    ]
    assert _rows(session, team.bob.id) == [(team.vip.id, "primary", False), (team.vip.id, "secondary", True)]


def test_ending_an_assignment_keeps_it_as_history(
    client: TestClient, session: Session, context: AppContext, team: Team
) -> None:
    pin_clock(client, NOW)
    boss = auth(context, team.world.manager_a)
    url = f"/api/v1/members/{team.ann.id}/consultants/secondary"
    missing = client.delete(url, headers=boss)
    assert missing.status_code == 404 and "no secondary consultant" in missing.json()["detail"]
    assert client.put(url, json={"staff_id": team.vip.id}, headers=boss).status_code == 201
    assert client.delete(url, headers=auth(context, team.vip)).status_code == 403
    gone = client.delete(url, headers=boss)
    assert gone.status_code == 200 and gone.json()["ended_at"].startswith("2025-03-01T09:30")
    assert client.get(f"/api/v1/members/{team.ann.id}/consultants", headers=boss).json() == []
    assert _rows(session, team.ann.id) == [(team.vip.id, "secondary", False)]
    assert client.delete(url, headers=boss).status_code == 404


def test_only_the_home_stores_manager_or_an_admin_assigns_and_only_active_consultants_of_it(
    client: TestClient, context: AppContext, team: Team
) -> None:
    w = team.world
    url = f"/api/v1/members/{team.ann.id}/consultants/primary"
    for who in (w.clerk_a, team.vip, w.analyst, w.clerk_b):
        refused = client.put(url, json={"staff_id": team.vip.id}, headers=auth(context, who))
        assert refused.status_code == 403, who.login
        assert refused.json()["detail"].endswith("is for role admin or store_manager")
    boss = auth(context, w.manager_a)
    cases = {
        w.clerk_a.id: f"store_manager or vip_consultant in store {w.store_a.id}",
        team.vip_b.id: f"store_manager or vip_consultant in store {w.store_a.id}",
        team.gone.id: "deactivated",
        987654: "does not exist",
    }
    for staff_id, reason in cases.items():
        bad = client.put(url, json={"staff_id": staff_id}, headers=boss)
        assert bad.status_code == 422 and reason in bad.json()["detail"], bad.text
    # A manager may take a client themselves.
    assert client.put(url, json={"staff_id": w.manager_a.id}, headers=boss).status_code == 201
    assert (
        client.put(
            url.replace("primary", "tertiary"), json={"staff_id": team.vip.id}, headers=boss
        ).status_code
        == 422
    )
    assert (
        client.put(
            "/api/v1/members/987654/consultants/primary", json={"staff_id": team.vip.id}, headers=boss
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/members/{team.ann.id}/consultants", headers=auth(context, w.clerk_b)).status_code
        == 403
    )
