"""The seed journeys: there from the first look, switched off, each a valid journey; switched on for a
store they do the work the nightly job did for it, and nothing is sent twice."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.automations.definitions import parse_definition
from server.db.session import session_scope
from server.db.tables import Coupon, Member, OutboxMessage
from server.jobs.notices import greet_birthdays
from tests.server.automations.conftest import JOURNEYS, NOW, Chain, drain

SEEDS = {
    "seed-birthday",
    "seed-win-back",
    "seed-first-order",
    "seed-renewal",
    "seed-cross-sell",
    "seed-member-day",
    "seed-heat-follow-up",
    "seed-dormant-campaign",
    "seed-replenishment",
}


def test_the_seeds_are_published_switched_off_and_valid(chain: Chain) -> None:
    listed = chain.client.get(JOURNEYS, headers=chain.as_(chain.world.manager_a))
    assert listed.status_code == 200, listed.text
    seeds = {j["slug"]: j for j in listed.json() if j["slug"].startswith("seed-")}
    assert set(seeds) == SEEDS
    for j in seeds.values():
        assert j["status"] == "active" and j["live_version"] == 1 and j["per_store_switch"]
        assert j["switched_on"] == [] and j["name_zh"] and j["name_en"]
        parse_definition(j["live"])  # still valid as stored
    again = chain.client.get(JOURNEYS, headers=chain.as_(chain.world.analyst))
    assert len([j for j in again.json() if j["slug"].startswith("seed-")]) == len(SEEDS)  # made once


def test_a_store_that_switches_the_birthday_journey_on_greets_through_it_and_the_nightly_job_steps_aside(
    chain: Chain,
) -> None:
    seeds = {j["slug"]: j for j in chain.client.get(JOURNEYS, headers=chain.as_(chain.world.admin)).json()}
    switch = f"{JOURNEYS}/{seeds['seed-birthday']['id']}/stores/{chain.world.store_a.id}"
    on = chain.client.put(switch, json={"enabled": True}, headers=chain.as_(chain.world.manager_a))
    assert on.status_code == 200
    in_a, in_b = chain.members(1)[0], chain.members(1, chain.world.store_b)[0]
    tomorrow = (NOW + timedelta(days=1)).date()
    with chain.context.sessions() as s:
        for m in (in_a, in_b):
            s.get(Member, m.id).birthday = date(1988, tomorrow.month, tomorrow.day)
        s.commit()
    drain(chain.context, NOW)  # the journey greets the day before
    with session_scope(chain.context.sessions) as s:
        greet_birthdays(s, NOW + timedelta(days=1))  # the nightly job on the day
    drain(chain.context, NOW + timedelta(days=1))
    with chain.context.sessions() as s:
        sent = s.execute(select(OutboxMessage.member_id, OutboxMessage.kind)).all()
        coupons = s.scalars(select(Coupon.member_id)).all()
    birthday_kinds = ("birthday", "birthday_greeting")
    assert sorted(m for m, k in sent if k in birthday_kinds and m == in_a.id) == [in_a.id]  # by the journey
    assert sorted(m for m, k in sent if k in birthday_kinds and m == in_b.id) == [in_b.id]  # by the night
    assert coupons.count(in_a.id) == 1
