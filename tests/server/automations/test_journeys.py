"""Journeys end to end on SQLite and PostgreSQL: entering, waiting, conditions, coupons and messages once,
control groups, goals, store switches, simulation, the report, and two workers racing."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from server.auth.roles import Role
from server.automations.engine import EngineSettings
from server.automations.holdout import arm
from server.business_events.events import emit
from server.db.tables import Coupon, JourneyEnrolment, JourneyStep, Member, MemberEvent, MemberTag, Product
from tests.fixtures.factories import make_staff, make_transaction
from tests.server.automations.conftest import JOURNEYS, NOW, Chain, drain

FIRST_ORDER: dict[str, Any] = {
    "trigger": {"type": "event", "event": "registered"},
    "reentry": "once",
    "goal": {"event": "purchased", "within_days": 14},
    "holdout_percent": 0,
    "start": "wait",
    "nodes": [
        {"id": "wait", "type": "wait", "hours": 24, "next": "bought"},
        {
            "id": "bought",
            "type": "condition",
            "rule": {"fact": "purchases_365d", "op": "eq", "value": 0},
            "yes": "coupon",
        },
        {"id": "coupon", "type": "coupon", "template_id": 0, "announce": False, "next": "tell"},
        {"id": "tell", "type": "send", "purpose": "first_order"},
    ],
}


def first_order(chain: Chain) -> dict[str, Any]:
    nodes = [dict(n) for n in FIRST_ORDER["nodes"]]
    nodes[2]["template_id"] = chain.template_id
    return FIRST_ORDER | {"nodes": nodes}


def enrol(chain: Chain, body: dict[str, Any]) -> int:
    made = chain.client.post("/api/v1/members", json=body, headers=chain.as_(chain.world.clerk_a))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_a_new_member_without_an_order_gets_one_coupon_and_one_message_a_day_later(chain: Chain) -> None:
    chain.journey(first_order(chain))
    member_id = enrol(chain, {"name": "Ann", "phone": "13800138001", "home_store_id": chain.world.store_a.id})
    drain(chain.context, NOW)
    assert chain.messages(member_id, "first_order") == []  # waiting out the 24 hours
    drain(chain.context, NOW + timedelta(hours=25))
    sent = chain.messages(member_id, "first_order")
    assert len(sent) == 1 and "30" in sent[0].body
    drain(chain.context, NOW + timedelta(days=3))  # nothing runs twice
    assert len(chain.messages(member_id, "first_order")) == 1
    with chain.context.sessions() as s:
        coupons = s.scalars(select(Coupon).where(Coupon.member_id == member_id)).all()
        assert len(coupons) == 1 and coupons[0].source == "automation"
        assert "first order" in sent[0].body
        assert chain.messages(member_id, "coupon_issued") == []  # announce: false
        enrolment = s.scalars(select(JourneyEnrolment).where(JourneyEnrolment.member_id == member_id)).one()
        assert enrolment.status == "completed"


def test_a_member_who_bought_within_the_day_converts_and_leaves_before_the_coupon(chain: Chain) -> None:
    chain.journey(first_order(chain))
    member_id = enrol(chain, {"name": "Bob", "phone": "13800138002", "home_store_id": chain.world.store_a.id})
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        member = s.get(Member, member_id)
        product = s.scalars(select(Coupon.id)).first()  # no coupon yet
        assert product is None
        txn = make_transaction(s, chain.world.store_a, member, [], occurred_at=NOW + timedelta(hours=2))
        txn.total_amount = 120
        emit(
            s,
            "purchased",
            member_id,
            key=f"purchased:{txn.id}",
            occurred_at=txn.occurred_at,
            payload={"transaction_id": txn.id, "amount": "120.00"},
        )
        s.commit()
    drain(chain.context, NOW + timedelta(hours=3))
    drain(chain.context, NOW + timedelta(hours=30))
    assert chain.messages(member_id, "first_order") == []
    with chain.context.sessions() as s:
        enrolment = s.scalars(select(JourneyEnrolment).where(JourneyEnrolment.member_id == member_id)).one()
        assert enrolment.status == "converted" and float(enrolment.revenue) == 120.0
        steps = s.scalars(select(JourneyStep).where(JourneyStep.enrolment_id == enrolment.id)).all()
        assert {(st.node, st.status) for st in steps} == {("wait", "done"), ("bought", "skipped")}


def test_a_definition_error_names_its_place(chain: Chain) -> None:
    headers = chain.as_(chain.world.admin)
    bad = first_order(chain) | {"start": "nowhere"}
    answer = chain.client.post(f"{JOURNEYS}/validate", json={"definition": bad}, headers=headers)
    assert answer.status_code == 422 and "start" in answer.json()["detail"]
    nodes = [dict(n) for n in first_order(chain)["nodes"]]
    nodes[1]["rule"] = {"fact": "shoe_size", "op": "=", "value": 1}
    answer = chain.client.post(
        f"{JOURNEYS}/validate", json={"definition": first_order(chain) | {"nodes": nodes}}, headers=headers
    )
    assert answer.status_code == 422 and "nodes[1].rule.fact" in answer.json()["detail"]
    nodes = [dict(n) for n in first_order(chain)["nodes"]]
    nodes[2]["template_id"] = 999999
    answer = chain.client.post(
        f"{JOURNEYS}/validate", json={"definition": first_order(chain) | {"nodes": nodes}}, headers=headers
    )
    assert answer.status_code == 422 and "nodes[2].template_id" in answer.json()["detail"]
    wechat = {
        "trigger": {"type": "lapsed", "days": 60},
        "start": "s",
        "nodes": [
            {"id": "s", "type": "send", "purpose": "campaign", "channel": "wechat", "values": {"text": "hi"}}
        ],
    }
    answer = chain.client.post(f"{JOURNEYS}/validate", json={"definition": wechat}, headers=headers)
    assert answer.status_code == 422 and "WeChat" in answer.json()["detail"]
    fine = chain.client.post(f"{JOURNEYS}/validate", json={"definition": first_order(chain)}, headers=headers)
    assert fine.status_code == 200 and fine.json()["start"] == "wait"


def test_control_members_walk_the_journey_without_sends_and_their_arm_is_stable(chain: Chain) -> None:
    campaign = {
        "trigger": {"type": "event", "event": "tag_added", "tag": "vip-event"},
        "holdout_percent": 40,
        "start": "s",
        "nodes": [
            {"id": "s", "type": "send", "purpose": "campaign", "values": {"text": "Come to our salon"}}
        ],
    }
    made = chain.journey(campaign)
    members = chain.members(60)
    with chain.context.sessions() as s:
        for m in members:
            emit(s, "tag_added", m.id, key=f"t:{m.id}", occurred_at=NOW, payload={"tag": "vip-event"})
        s.commit()
    settings = EngineSettings(salt="test", global_holdout_percent=10.0)
    drain(chain.context, NOW, settings)
    with chain.context.sessions() as s:
        rows = s.scalars(select(JourneyEnrolment).where(JourneyEnrolment.journey_id == made["id"])).all()
        arms = {e.member_id: e.arm for e in rows}
    assert len(arms) == 60 and {"treatment", "holdout"} <= set(arms.values())
    for member_id, got in arms.items():
        assert got == arm("test", made["id"], member_id, 40, 10.0)
        assert len(chain.messages(member_id, "campaign")) == (1 if got == "treatment" else 0)


def test_a_store_journey_is_its_managers_and_a_chain_journey_runs_where_switched_on(chain: Chain) -> None:
    w = chain.world
    definition = {
        "trigger": {"type": "event", "event": "tag_added", "tag": "x"},
        "holdout_percent": 0,
        "start": "t",
        "nodes": [{"id": "t", "type": "tag", "action": "add", "tag": "welcomed"}],
    }
    body = {"slug": "chain-one", "name_zh": "连锁", "name_en": "Chain", "definition": definition}
    assert chain.client.post(JOURNEYS, json=body, headers=chain.as_(w.manager_a)).status_code == 403
    own = body | {"slug": "store-a-one", "store_id": w.store_b.id}
    assert chain.client.post(JOURNEYS, json=own, headers=chain.as_(w.manager_a)).status_code == 403
    made = chain.journey(definition, per_store_switch=True)
    a, b = chain.members(1)[0], chain.members(1, w.store_b)[0]

    def tag_event(n: int) -> None:
        with chain.context.sessions() as s:
            for m in (a, b):
                emit(s, "tag_added", m.id, key=f"x:{m.id}:{n}", occurred_at=NOW, payload={"tag": "x"})
            s.commit()

    tag_event(1)
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        assert s.scalar(select(func.count()).select_from(JourneyEnrolment)) == 0  # off everywhere
    switch = f"{JOURNEYS}/{made['id']}/stores/{w.store_b.id}"
    assert chain.client.put(switch, json={"enabled": True}, headers=chain.as_(w.manager_a)).status_code == 403
    switch = f"{JOURNEYS}/{made['id']}/stores/{w.store_a.id}"
    assert chain.client.put(switch, json={"enabled": True}, headers=chain.as_(w.manager_a)).status_code == 200
    tag_event(2)
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        tagged = set(s.scalars(select(MemberTag.member_id).where(MemberTag.tag == "welcomed")))
    assert tagged == {a.id}


def test_a_task_goes_to_the_consultant_or_else_the_store_manager(chain: Chain) -> None:
    definition = {
        "trigger": {"type": "event", "event": "heat_alert"},
        "holdout_percent": 0,
        "start": "call",
        "nodes": [
            {
                "id": "call",
                "type": "task",
                "kind": "call",
                "script_zh": "打个电话问候",
                "script_en": "Call to say hello",
                "due_days": 2,
            }
        ],
    }
    chain.journey(definition)
    looked_after, alone = chain.members(2)
    with chain.context.sessions() as s:
        consultant = make_staff(s, [(Role.VIP_CONSULTANT, chain.world.store_a.id)])
        from server.db.tables import ConsultantAssignment

        s.add(ConsultantAssignment(member_id=looked_after.id, staff_id=consultant.id, position="primary"))
        for m in (looked_after, alone):
            emit(s, "heat_alert", m.id, key=f"h:{m.id}", occurred_at=NOW)
        s.commit()
        consultant_id = consultant.id
    drain(chain.context, NOW)
    with chain.context.sessions() as s:
        tasks = {
            e.member_id: e for e in s.scalars(select(MemberEvent).where(MemberEvent.kind == "journey_task"))
        }
    assert tasks[looked_after.id].staff_id == consultant_id
    assert tasks[alone.id].staff_id == chain.world.manager_a.id
    assert tasks[alone.id].payload["addressed_to"] == "store_manager"
    assert tasks[alone.id].payload["due_on"] == (NOW + timedelta(days=2)).date().isoformat()


def test_a_birthday_sweep_enters_the_member_once_however_often_it_runs(chain: Chain) -> None:
    definition = {
        "trigger": {"type": "birthday", "days_before": 1},
        "holdout_percent": 0,
        "start": "c",
        "nodes": [{"id": "c", "type": "coupon", "template_id": chain.template_id}],
    }
    chain.journey(definition)
    born, other = chain.members(2)
    with chain.context.sessions() as s:
        s.get(Member, born.id).birthday = date(1990, 7, 1)  # tomorrow
        s.get(Member, other.id).birthday = date(1990, 7, 2)
        s.commit()
    drain(chain.context, NOW)
    drain(chain.context, NOW + timedelta(hours=5))
    with chain.context.sessions() as s:
        got = s.scalars(select(Coupon.member_id)).all()
    assert got == [born.id]
    assert len(chain.messages(born.id, "coupon_issued")) == 1


def test_simulate_shows_each_step_and_its_time_without_doing_anything(chain: Chain) -> None:
    made = chain.journey(first_order(chain))
    member = chain.members(1)[0]
    answer = chain.client.post(
        f"{JOURNEYS}/{made['id']}/simulate",
        json={"member_id": member.id},
        headers=chain.as_(chain.world.manager_a),
    )
    assert answer.status_code == 200, answer.text
    sim = answer.json()
    assert sim["enters"] and [s["node"] for s in sim["steps"]] == ["wait", "bought", "coupon", "tell"]
    assert sim["steps"][1]["branch"] == "yes"
    assert sim["steps"][2]["at"].startswith((NOW + timedelta(hours=24)).date().isoformat())
    other_store = chain.members(1, chain.world.store_b)[0]
    hidden = chain.client.post(
        f"{JOURNEYS}/{made['id']}/simulate",
        json={"member_id": other_store.id},
        headers=chain.as_(chain.world.manager_a),
    )
    assert hidden.status_code == 404
    with chain.context.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Coupon)) == 0


def test_the_report_counts_arms_and_says_when_there_is_not_enough_data(chain: Chain) -> None:
    made = chain.journey(first_order(chain))
    enrol(chain, {"name": "Cy", "phone": "13800138003", "home_store_id": chain.world.store_a.id})
    drain(chain.context, NOW)
    report = chain.client.get(f"{JOURNEYS}/{made['id']}/report", headers=chain.as_(chain.world.analyst))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["entered"] == {"treatment": 1} and body["steps"]["wait"] == {"waited": 1}
    assert (
        body["against_holdout"]["enough_data"] is False
        and "not enough data" in body["against_holdout"]["reason"]
    )


def test_two_workers_racing_run_every_step_once(chain: Chain) -> None:
    campaign = {
        "trigger": {"type": "event", "event": "tag_added", "tag": "race"},
        "holdout_percent": 0,
        "start": "c",
        "nodes": [
            {"id": "c", "type": "coupon", "template_id": chain.template_id, "announce": False, "next": "s"},
            {"id": "s", "type": "send", "purpose": "first_order"},
        ],
    }
    chain.journey(campaign)
    members = chain.members(40)
    with chain.context.sessions() as s:
        for m in members:
            emit(s, "tag_added", m.id, key=f"r:{m.id}", occurred_at=NOW, payload={"tag": "race"})
        s.commit()
    small = EngineSettings(salt="test", global_holdout_percent=0.0, event_batch=7, step_batch=5)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            drain(chain.context, NOW, small)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drain(chain.context, NOW, small)
    assert not errors, errors
    with chain.context.sessions() as s:
        assert s.scalar(select(func.count()).select_from(JourneyEnrolment)) == 40
        assert s.scalar(select(func.count()).select_from(Coupon)) == 40
        steps = s.scalars(select(JourneyStep.status)).all()
    assert len(steps) == 80 and set(steps) == {"done"}
    per_member = [len(chain.messages(m.id, "first_order")) for m in members]
    assert per_member == [1] * 40


def test_a_scheduled_campaign_goes_out_at_its_time_to_the_members_its_rule_selects(chain: Chain) -> None:
    campaign = {
        "trigger": {
            "type": "audience",
            "rule": {"fact": "dormancy", "op": "eq", "value": "never_purchased"},
            "start_at": (NOW + timedelta(days=2)).isoformat(),
        },
        "reentry": "once",
        "holdout_percent": 0,
        "start": "s",
        "nodes": [
            {
                "id": "s",
                "type": "send",
                "purpose": "campaign",
                "values_zh": {"text": "新品到店"},
                "values_en": {"text": "New arrivals are in"},
            }
        ],
    }
    size = chain.client.post(
        f"{JOURNEYS}/audience",
        json={"rule": campaign["trigger"]["rule"], "store_id": chain.world.store_a.id},
        headers=chain.as_(chain.world.manager_a),
    )
    members = chain.members(3)
    assert size.status_code == 200 and size.json()["members"] == 0  # counted before they joined
    chain.journey(campaign)
    drain(chain.context, NOW)
    assert chain.messages(kind="campaign") == []  # not yet
    drain(chain.context, NOW + timedelta(days=2))
    drain(chain.context, NOW + timedelta(days=3))  # once, not again the next day
    sent = chain.messages(kind="campaign")
    assert sorted(m.member_id for m in sent) == sorted(m.id for m in members)
    assert all("New arrivals are in" in m.body for m in sent)  # the test members read English


def test_a_segment_journey_takes_those_who_come_into_the_segment_not_those_already_in_it(
    chain: Chain,
) -> None:
    definition = {
        "trigger": {"type": "segment_entered", "rule": {"fact": "spend_365d", "op": "gte", "value": 300}},
        "holdout_percent": 0,
        "start": "t",
        "nodes": [{"id": "t", "type": "tag", "action": "add", "tag": "big spender"}],
    }
    already, later = chain.members(2)
    with chain.context.sessions() as s:
        bag = s.scalars(select(Product).where(Product.sku == "BAG-1")).one()
        make_transaction(
            s,
            chain.world.store_a,
            s.get(Member, already.id),
            [(bag, 2, "200.00")],
            occurred_at=NOW - timedelta(days=5),
        )
        s.commit()
    chain.journey(definition)
    drain(chain.context, NOW)  # the first sweep sees who is in already: nobody enters
    with chain.context.sessions() as s:
        make_transaction(
            s,
            chain.world.store_a,
            s.get(Member, later.id),
            [(bag, 2, "200.00")],
            occurred_at=NOW + timedelta(hours=2),
        )
        s.commit()
    drain(chain.context, NOW + timedelta(hours=3))  # the segment is judged once a day
    drain(chain.context, NOW + timedelta(days=1))
    drain(chain.context, NOW + timedelta(days=2))
    with chain.context.sessions() as s:
        entered = s.scalars(select(JourneyEnrolment.member_id)).all()
    assert entered == [later.id]
