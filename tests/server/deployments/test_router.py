"""The /models endpoints over HTTP: HQ only, clear 4xx answers, and racing promotions with one winner."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.versions import VersionStore
from server.core.context import AppContext
from server.db.tables import ModelDeployment
from server.db.tables.deployments import scope_of
from server.deployments import service
from tests.fixtures.factories import World, auth
from tests.fixtures.race import race
from tests.server.deployments.conftest import V1, V2, V3, V4

API = "/api/v1"


def _routes(experiment: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", "/models/versions", None),
        ("GET", f"/models/versions/{V1}/compare/{V4}", None),
        ("GET", "/models/deployments", None),
        ("POST", "/models/promote", {"version": V4}),
        ("POST", "/models/rollback", {}),
        ("POST", "/models/experiments", {"challenger": V2, "share": 50}),
        ("POST", f"/models/experiments/{experiment}/stop", {"keep": "A"}),
        ("GET", f"/models/experiments/{experiment}/report", None),
    ]


def test_only_hq_reaches_the_model_endpoints(
    client: TestClient, context: AppContext, world: World, versions: VersionStore, session: Session
) -> None:
    service.promote(session, versions, V1, None, by=None, force=False, max_drop=0.02)
    (row,) = service.start_experiment(session, versions, V4, 50, [world.store_a.id], by=None)
    session.commit()
    for staff in (world.clerk_a, world.manager_a, world.cashier_a):
        for method, path, body in _routes(row.experiment or ""):
            answer = client.request(method, API + path, json=body, headers=auth(context, staff))
            assert answer.status_code == 403, (staff.login, method, path, answer.text)
    for staff in (world.analyst, world.admin):
        for method, path, body in _routes(row.experiment or ""):
            answer = client.request(method, API + path, json=body, headers=auth(context, staff))
            assert answer.status_code < 500 and answer.status_code != 403, (method, path, answer.text)


def test_promote_list_experiment_and_rollback_over_http(
    client: TestClient, context: AppContext, world: World, versions: VersionStore
) -> None:
    hq = auth(context, world.analyst)
    a = world.store_a.id
    promoted = client.post(f"{API}/models/promote", json={"version": V1}, headers=hq)
    assert promoted.status_code == 200, promoted.text
    (row,) = promoted.json()["deployments"]
    assert (row["store_id"], row["version"], row["started_by"], row["ended_at"]) == (
        None,
        V1,
        world.analyst.id,
        None,
    )

    worse = client.post(f"{API}/models/promote", json={"version": V3, "store_ids": [a]}, headers=hq)
    assert (
        worse.status_code == 409 and "0.1800" in worse.json()["detail"] and "0.2000" in worse.json()["detail"]
    )
    forced = client.post(
        f"{API}/models/promote", json={"version": V3, "store_ids": [a], "force": True}, headers=hq
    )
    assert forced.status_code == 200 and forced.json()["deployments"][0]["forced"] is True

    started = client.post(f"{API}/models/experiments", json={"challenger": V4, "share": 25}, headers=hq)
    assert started.status_code == 201, started.text
    label = started.json()["experiment"]
    assert started.json()["deployments"][0]["challenger_share"] == 25

    listed = {v["name"]: v for v in client.get(f"{API}/models/versions", headers=hq).json()}
    assert list(listed) == [V4, V3, V2, V1]  # newest first
    assert listed[V4]["metrics"]["recall@10"] == 0.22 and listed[V4]["data"]["last_day"] == "2011-12-09"
    assert listed[V4]["served_in"] == [
        {"store_id": None, "role": "challenger", "experiment": label, "share": 25}
    ]
    assert listed[V3]["served_in"] == [{"store_id": a, "role": "incumbent", "experiment": None, "share": 100}]
    assert listed[V2]["served_in"] == []

    compared = client.get(f"{API}/models/versions/{V1}/compare/{V4}", headers=hq).json()
    assert compared["metrics"]["recall@10"] == {"a": 0.2, "b": 0.22, "ratio": 1.1}

    stopped = client.post(f"{API}/models/experiments/{label}/stop", json={"keep": "B"}, headers=hq)
    assert stopped.status_code == 200 and stopped.json()["deployments"][0]["version"] == V4
    back = client.post(f"{API}/models/rollback", json={}, headers=hq)
    assert back.status_code == 200 and back.json()["deployments"][0]["version"] == V1

    deployments = client.get(f"{API}/models/deployments", headers=hq).json()
    assert {(d["store_id"], d["version"]) for d in deployments["active"]} == {(None, V1), (a, V3)}
    assert [d["end_reason"] for d in deployments["recent"]][:3] == ["rolled_back", "promoted", "experiment"]


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "reason"),
    [
        ("POST", "/models/promote", {"version": "nope"}, 404, "no model version 'nope'"),
        ("POST", "/models/promote", {"version": V1, "store_ids": [999_999]}, 422, "no store 999999"),
        ("POST", "/models/promote", {"version": V1, "store_ids": []}, 422, "store_ids"),
        ("POST", "/models/promote", {}, 422, "version"),
        ("POST", "/models/experiments", {"challenger": V4, "share": 100}, 422, "share"),
        ("POST", "/models/experiments", {"challenger": V4, "share": 50}, 409, "serves no version yet"),
        ("POST", "/models/experiments/ab-1/stop", {"keep": "C"}, 422, "keep"),
        ("POST", "/models/experiments/ab-1/stop", {"keep": "A"}, 404, "no experiment 'ab-1'"),
        ("POST", "/models/rollback", {}, 409, "no deployment of its own"),
        ("GET", f"/models/versions/{V1}/compare/nope", None, 404, "no model version 'nope'"),
        ("GET", "/models/experiments/ab-1/report", None, 404, "no experiment"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: TestClient,
    context: AppContext,
    world: World,
    versions: VersionStore,
    method: str,
    path: str,
    body: dict[str, object] | None,
    code: int,
    reason: str,
) -> None:
    answer = client.request(method, API + path, json=body, headers=auth(context, world.admin))
    assert answer.status_code == code, answer.text
    assert reason in answer.text


def test_the_database_refuses_a_second_active_row_for_a_scope(session: Session, world: World) -> None:
    for store_id in (None, world.store_a.id):
        session.add(ModelDeployment(store_id=store_id, scope=scope_of(store_id), version=V1, note=""))
        session.commit()
        session.add(ModelDeployment(store_id=store_id, scope=scope_of(store_id), version=V2, note=""))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


@pytest.mark.parametrize("scope", ["chain", "store"])
def test_twenty_racing_promotions_leave_one_active_row(
    client: TestClient,
    context: AppContext,
    world: World,
    versions: VersionStore,
    session: Session,
    scope: str,
) -> None:
    stores = None if scope == "chain" else [world.store_a.id]
    hq = auth(context, world.analyst)
    names = [V1, V2, V3, V4]

    def promote(i: int) -> tuple[int, str]:
        body = {"version": names[i % 4], "store_ids": stores, "force": True}
        answer = client.post(f"{API}/models/promote", json=body, headers=hq)
        return answer.status_code, answer.text

    answers = race(20, promote)
    codes = [code for code, _ in answers]
    assert set(codes) <= {200, 409}, answers
    assert 200 in codes
    for code, text in answers:
        if code == 409:
            assert "at the same moment" in text or "already serves" in text, text
    key = scope_of(None if stores is None else stores[0])
    active = session.scalars(
        select(ModelDeployment).where(ModelDeployment.scope == key, ModelDeployment.ended_at.is_(None))
    ).all()
    assert len(active) == 1
    rows = session.scalar(
        select(func.count()).select_from(ModelDeployment).where(ModelDeployment.scope == key)
    )
    assert rows == codes.count(200)  # every winner wrote one row, every loser none
