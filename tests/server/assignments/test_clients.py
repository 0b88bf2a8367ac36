"""A consultant's client list and a store's consultants with their client and open task counts."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import ConsultantAssignment, MemberTier
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import auth, make_member, make_product, make_transaction
from tests.server.assignments.conftest import NOW, Team


def _clients(session: Session, context: AppContext, team: Team) -> int:
    """Ann (primary, dormant), Bob (secondary, bought 10 days ago, loyal), Cid (primary, never bought)."""
    store = team.world.store_a
    cid = make_member(session, context.keys, store, name="Cid")
    tea = make_product(session, name="Tea")
    make_transaction(session, store, team.ann, [(tea, 1, "3.00")], NOW - timedelta(days=200))
    make_transaction(session, store, team.bob, [(tea, 2, "3.00")], NOW - timedelta(days=10))
    session.add(MemberTier(member_id=team.bob.id, tier="loyal", since=NOW, reviewed_at=NOW))
    for member, position in ((team.ann, "primary"), (team.bob, "secondary"), (cid, "primary")):
        session.add(ConsultantAssignment(member_id=member.id, staff_id=team.vip.id, position=position))
    session.commit()
    return cid.id


def test_a_consultant_sees_their_clients_with_last_purchase_and_dormancy(
    client: TestClient, session: Session, context: AppContext, team: Team
) -> None:
    cid = _clients(session, context, team)
    pin_clock(client, NOW)
    url = f"/api/v1/staff/{team.vip.id}/clients"
    page = client.get(url, headers=auth(context, team.vip)).json()
    assert page["total"] == 3
    assert page["items"] == [
        {
            "id": team.ann.id,
            "name": "Ann 安",
            "tier": "new",
            "position": "primary",
            "last_purchase_on": (NOW - timedelta(days=200)).date().isoformat(),
            "days_since_last_purchase": 200,
            "dormant": True,
        },
        {
            "id": cid,
            "name": "Cid",
            "tier": "new",
            "position": "primary",
            "last_purchase_on": None,
            "days_since_last_purchase": None,
            "dormant": False,
        },
        {
            "id": team.bob.id,
            "name": "Bob",
            "tier": "loyal",
            "position": "secondary",
            "last_purchase_on": (NOW - timedelta(days=10)).date().isoformat(),
            "days_since_last_purchase": 10,
            "dormant": False,
        },
    ]
    second = client.get(
        url, params={"limit": 1, "offset": 1}, headers=auth(context, team.world.manager_a)
    ).json()
    assert (second["total"], [c["id"] for c in second["items"]]) == (3, [cid])
    assert client.get(url, headers=auth(context, team.world.admin)).status_code == 200
    for stranger in (team.vip2, team.world.clerk_b, team.world.analyst):
        refused = client.get(url, headers=auth(context, stranger))
        assert refused.status_code == 403, stranger.login
    # A consultant reaches the clients of nobody else; a clerk and an analyst have none to see.
    assert "store manager" in client.get(url, headers=auth(context, team.vip2)).json()["detail"]
    assert (
        client.get("/api/v1/staff/987654/clients", headers=auth(context, team.world.admin)).status_code == 404
    )


def test_a_store_lists_its_consultants_with_client_and_open_task_counts(
    client: TestClient, session: Session, context: AppContext, team: Team
) -> None:
    _clients(session, context, team)
    pin_clock(client, NOW)
    w = team.world
    url = f"/api/v1/stores/{w.store_a.id}/consultants"
    listed = client.get(url, headers=auth(context, w.manager_a))
    assert listed.status_code == 200, listed.text
    rows = {c["staff_id"]: c for c in listed.json()}
    # The deactivated consultant and store B's are not listed; the manager is, as a manager.
    assert set(rows) == {team.vip.id, team.vip2.id, w.manager_a.id}
    assert rows[team.vip.id] == {
        "staff_id": team.vip.id,
        "login": team.vip.login,
        "name": team.vip.display_name,
        "role": "vip_consultant",
        "store_id": w.store_a.id,
        "store_name": "Store A",
        "client_count": 3,
        "open_task_count": 1,  # Ann: dormant and never contacted
    }
    assert (rows[team.vip2.id]["client_count"], rows[team.vip2.id]["open_task_count"]) == (0, 0)
    assert rows[w.manager_a.id]["role"] == "store_manager"
    assert client.get(url, headers=auth(context, w.admin)).status_code == 200
    for stranger in (team.vip, w.clerk_a):
        refused = client.get(url, headers=auth(context, stranger))
        assert refused.status_code == 403 and "store_manager" in refused.json()["detail"]
    other = client.get(f"/api/v1/stores/{w.store_b.id}/consultants", headers=auth(context, w.manager_a))
    assert other.status_code == 403
    assert client.get("/api/v1/stores/987654/consultants", headers=auth(context, w.admin)).status_code == 404
