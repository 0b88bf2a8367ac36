"""Tag rules over HTTP: the fact registry for the editor, and rules refused with the path of the mistake."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from server.core.context import AppContext
from tests.fixtures.factories import World, auth

RULES = "/api/v1/rules"
HIGH_VALUE = {
    "all": [
        {"fact": "spend_90d", "op": "gt", "value": 5000},
        {"fact": "visits_90d", "op": "gt", "value": 3},
    ]
}


def _save(client: TestClient, context: AppContext, staff: Any, rule: Any, name: str = "high value") -> Any:
    return client.post(RULES, json={"name": name, "rule": rule}, headers=auth(context, staff))


def test_the_facts_come_with_their_types_and_operators(
    client: TestClient, context: AppContext, world: World
) -> None:
    response = client.get(f"{RULES}/facts", headers=auth(context, world.analyst))
    assert response.status_code == 200
    facts = {f["name"]: f for f in response.json()}
    assert facts["spend_90d"]["type"] == "number" and "between" in facts["spend_90d"]["ops"]
    assert facts["favourite_categories"]["type"] == "list[string]"
    assert facts["favourite_categories"]["ops"]["contains_any"] == "list of strings"
    assert facts["last_purchase_date"]["ops"]["within_last_days"] == "whole number of days"
    assert client.get(f"{RULES}/facts", headers=auth(context, world.nobody)).status_code == 403
    assert client.get(f"{RULES}/facts", headers=auth(context, world.clerk_a)).status_code == 403  # editor's


def test_rules_are_saved_and_edited_by_an_admin_and_read_at_hq(
    client: TestClient, context: AppContext, world: World
) -> None:
    created = _save(client, context, world.admin, HIGH_VALUE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["version"], rule["active"], rule["rule"]) == (1, True, HIGH_VALUE)
    assert _save(client, context, world.admin, HIGH_VALUE).status_code == 409
    listed = client.get(RULES, headers=auth(context, world.analyst)).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "high value"
    tighter = {"all": [{"fact": "spend_90d", "op": "gt", "value": 8000}, HIGH_VALUE["all"][1]]}
    edited = client.put(f"{RULES}/{rule['id']}", json={"rule": tighter}, headers=auth(context, world.admin))
    assert edited.status_code == 200 and edited.json()["version"] == 2
    paused = client.put(f"{RULES}/{rule['id']}", json={"active": False}, headers=auth(context, world.admin))
    assert paused.json()["active"] is False and paused.json()["version"] == 2
    assert client.get(f"{RULES}/{rule['id']}", headers=auth(context, world.analyst)).json()["active"] is False
    assert (
        client.put(f"{RULES}/999", json={"active": True}, headers=auth(context, world.admin)).status_code
        == 404
    )


def test_rules_naming_unknown_facts_or_wrong_values_are_refused_with_the_path(
    client: TestClient, context: AppContext, world: World
) -> None:
    unknown = {"all": [HIGH_VALUE["all"][0], {"fact": "spend_forever", "op": "gt", "value": 1}]}
    response = _save(client, context, world.admin, unknown)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("rule.all[1].fact: unknown fact 'spend_forever'")
    wrong_type = {"any": [{"fact": "visits_90d", "op": "gt", "value": "three"}]}
    detail = _save(client, context, world.admin, wrong_type).json()["detail"]
    assert detail.startswith("rule.any[0].value: visits_90d gt expects number")
    wrong_op = {"not": {"fact": "tier", "op": "gt", "value": "VIP"}}
    assert _save(client, context, world.admin, wrong_op).json()["detail"].startswith("rule.not.op:")
    shape = _save(client, context, world.admin, {"every": []})
    assert shape.status_code == 422 and shape.json()["detail"].startswith("rule: expected")
    created = _save(client, context, world.admin, HIGH_VALUE, name="ok").json()
    broken = client.put(
        f"{RULES}/{created['id']}", json={"rule": unknown}, headers=auth(context, world.admin)
    )
    assert broken.status_code == 422 and "rule.all[1].fact" in broken.json()["detail"]


def test_only_admins_change_rules_and_hq_analysts_only_read_them(
    client: TestClient, context: AppContext, world: World
) -> None:
    assert _save(client, context, world.manager_a, HIGH_VALUE).status_code == 403
    refused = _save(client, context, world.analyst, HIGH_VALUE)
    assert refused.status_code == 403 and refused.json()["detail"] == "POST /rules is for role admin"
    rule = _save(client, context, world.admin, HIGH_VALUE).json()
    paused = client.put(f"{RULES}/{rule['id']}", json={"active": False}, headers=auth(context, world.analyst))
    assert paused.status_code == 403
    assert client.get(f"{RULES}/{rule['id']}", headers=auth(context, world.analyst)).json()["active"] is True
    assert client.get(RULES, headers=auth(context, world.clerk_a)).status_code == 403
