"""The seed journeys: there from the first look, switched off, each a valid journey; switched on for a
store they do the work the nightly job did for it, and nothing is sent twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from server.automations.definitions import parse_definition
from server.automations.engine import EngineSettings
from server.business_events.events import emit
from server.db.session import session_scope
from server.db.tables import Coupon, JourneyEnrolment, Member, MemberEvent, MemberTier, OutboxMessage, Product
from server.jobs.notices import greet_birthdays
from server.loyalty.config import save_setting
from tests.fixtures.factories import make_transaction
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


def switch_on(chain: Chain, slug: str) -> None:
    """Switch the seed journey `slug` on for store A, as its manager."""
    seeds = {j["slug"]: j for j in chain.client.get(JOURNEYS, headers=chain.as_(chain.world.admin)).json()}
    switch = f"{JOURNEYS}/{seeds[slug]['id']}/stores/{chain.world.store_a.id}"
    answer = chain.client.put(switch, json={"enabled": True}, headers=chain.as_(chain.world.manager_a))
    assert answer.status_code == 200, answer.text


def bag(chain: Chain) -> Product:
    with chain.context.sessions() as s:
        found = s.scalars(select(Product).where(Product.sku == "BAG-1")).one()
        s.expunge(found)
        return found


def test_win_back_gives_a_good_customer_a_coupon_at_60_days_and_a_call_ten_days_later(chain: Chain) -> None:
    switch_on(chain, "seed-win-back")
    good, small = chain.members(2)
    with chain.context.sessions() as s:
        make_transaction(
            s,
            chain.world.store_a,
            s.get(Member, good.id),
            [(bag(chain), 6, "200.00")],
            occurred_at=NOW - timedelta(days=60),
        )
        make_transaction(
            s,
            chain.world.store_a,
            s.get(Member, small.id),
            [(bag(chain), 1, "200.00")],
            occurred_at=NOW - timedelta(days=60),
        )
        s.commit()
    drain(chain.context, NOW)
    offer = chain.messages(good.id, "reactivation")
    assert len(offer) == 1 and "50" in offer[0].body
    assert chain.messages(small.id, "reactivation") == []  # not a good enough customer
    drain(chain.context, NOW + timedelta(days=10, hours=1))
    with chain.context.sessions() as s:
        task = s.scalars(select(MemberEvent).where(MemberEvent.kind == "journey_task")).one()
    assert task.member_id == good.id and task.staff_id == chain.world.manager_a.id


def test_first_order_nudges_a_new_member_who_has_not_bought_after_a_day(chain: Chain) -> None:
    switch_on(chain, "seed-first-order")
    made = chain.client.post(
        "/api/v1/members",
        json={"name": "New", "phone": "13800138009", "home_store_id": chain.world.store_a.id},
        headers=chain.as_(chain.world.clerk_a),
    )
    assert made.status_code == 201, made.text
    member_id = made.json()["id"]
    drain(chain.context, NOW)
    drain(chain.context, NOW + timedelta(hours=25))
    nudge = chain.messages(member_id, "first_order")
    assert len(nudge) == 1 and "30" in nudge[0].body


def test_cross_sell_writes_a_week_later_at_eleven_in_the_members_language(chain: Chain) -> None:
    switch_on(chain, "seed-cross-sell")
    member = chain.members(1)[0]
    with chain.context.sessions() as s:
        s.get(Member, member.id).locale = "zh-CN"
        emit(s, "purchased", member.id, key="purchased:x1", occurred_at=NOW, payload={"amount": "80.00"})
        s.commit()
    drain(chain.context, NOW)
    drain(chain.context, NOW + timedelta(days=7))  # 10:00 UTC: not yet 11:00
    assert chain.messages(member.id, "campaign") == []
    drain(chain.context, NOW + timedelta(days=7, hours=1))
    note = chain.messages(member.id, "campaign")
    assert len(note) == 1 and "搭配" in note[0].body


def test_member_day_is_announced_the_day_before_to_the_stores_that_switched_it_on(chain: Chain) -> None:
    switch_on(chain, "seed-member-day")
    tomorrow = (NOW + timedelta(days=1)).day
    with chain.context.sessions() as s:
        save_setting(
            s,
            "earn",
            {"multipliers": [{"kind": "member_day", "factor": "2", "day_of_month": tomorrow}]},
            NOW - timedelta(days=30),
        )
        s.commit()
    in_a, in_b = chain.members(1)[0], chain.members(1, chain.world.store_b)[0]
    drain(chain.context, NOW)
    assert len(chain.messages(in_a.id, "member_day")) == 1
    assert chain.messages(in_b.id, "member_day") == []  # store B did not switch it on


def test_the_heat_follow_up_puts_a_call_on_someones_list(chain: Chain) -> None:
    switch_on(chain, "seed-heat-follow-up")
    member = chain.members(1)[0]
    with chain.context.sessions() as s:
        emit(s, "heat_alert", member.id, key="heat:1", occurred_at=NOW)
        s.commit()
    drain(chain.context, NOW, EngineSettings(salt="test", global_holdout_percent=0.0))
    with chain.context.sessions() as s:
        enrolment = s.scalars(select(JourneyEnrolment)).one()
        tasks = s.scalars(select(MemberEvent).where(MemberEvent.kind == "journey_task")).all()
    if enrolment.arm == "treatment":  # the seed holds back 10% to measure the calls
        assert len(tasks) == 1 and "heat index" in tasks[0].payload["script_en"]
    else:
        assert tasks == []


def test_the_dormant_campaign_reaches_members_away_for_half_a_year(chain: Chain) -> None:
    switch_on(chain, "seed-dormant-campaign")
    asleep, awake = chain.members(2)
    with chain.context.sessions() as s:
        for m, days in ((asleep, 200), (awake, 20)):
            make_transaction(
                s,
                chain.world.store_a,
                s.get(Member, m.id),
                [(bag(chain), 1, "200.00")],
                occurred_at=NOW - timedelta(days=days),
            )
        s.commit()
    drain(chain.context, NOW, EngineSettings(salt="test", global_holdout_percent=0.0))
    with chain.context.sessions() as s:
        entered = s.scalars(select(JourneyEnrolment)).all()
    assert [e.member_id for e in entered] == [asleep.id]
    sent = chain.messages(asleep.id, "reactivation")
    assert len(sent) == (1 if entered[0].arm == "treatment" else 0)


def test_replenishment_reminds_with_the_products_name(chain: Chain) -> None:
    switch_on(chain, "seed-replenishment")
    member = chain.members(1)[0]
    with chain.context.sessions() as s:
        emit(
            s,
            "replenishment_due",
            member.id,
            key="replenish:1",
            occurred_at=NOW,
            payload={"product_id": bag(chain).id, "cycle_days": 30},
        )
        s.commit()
    drain(chain.context, NOW)
    sent = chain.messages(member.id, "replenishment")
    assert len(sent) == 1 and "Bag" in sent[0].body


def test_renewal_reminds_30_days_before_a_benefit_lapses_and_gives_a_coupon(chain: Chain) -> None:
    switch_on(chain, "seed-renewal")
    member = chain.members(1)[0]
    with chain.context.sessions() as s:
        s.add(MemberTier(member_id=member.id, tier="VIP", since=NOW - timedelta(days=200), reviewed_at=NOW))
        s.commit()
    day = datetime(2024, 12, 1, 10, tzinfo=UTC)  # twelve free wrappings a year, unused, lapse on 31 December
    drain(chain.context, day)
    drain(chain.context, day + timedelta(hours=3))
    reminder = chain.messages(member.id, "benefit_expiry")
    assert len(reminder) == 1 and "2024-12-31" in reminder[0].body
    assert len(chain.messages(member.id, "coupon_issued")) == 1
