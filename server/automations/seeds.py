"""The journeys every chain starts with, published and switched off: one switch each per store.

What the source documents promise a store ("configure once, runs 7x24"): a birthday greeting with a
coupon the day before, a win-back coupon for a good customer 60 days without a purchase, a first-order
coupon for a new member with no order after a day, a renewal reminder and coupon 30 days before a benefit
lapses, a cross-sell note a week after a purchase, the member-day announcement, a call when the heat
index falls two weeks running, a campaign to wake dormant members, and replenishment reminders. Each is
an ordinary journey: HQ can edit and republish it, a store manager switches it on for their store.
The coupon templates they issue are made with them (amounts in the chain's currency, editable by HQ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.automations import definitions as d
from server.db.tables import CouponTemplate, Journey, JourneyStoreSwitch, JourneyVersion

# Slugs of the seeds whose work the nightly job did before journeys existed: where a store switches one
# on, the nightly job leaves that store's members to the journey (server/jobs/notices.py).
BIRTHDAY, MEMBER_DAY = "seed-birthday", "seed-member-day"


@dataclass(frozen=True)
class CouponSeed:
    """A coupon template a seed journey issues."""

    purpose: str
    name_zh: str
    name_en: str
    amount: str
    valid_days: int
    per_member_limit: int


COUPONS: dict[str, CouponSeed] = {
    # A member keeps a birthday coupon each year: the journey enters once a year; the limit allows ten.
    "birthday": CouponSeed("birthday", "生日礼券", "Birthday voucher", "50.00", 30, 10),
    "win_back": CouponSeed("reactivation", "老客回归券", "Welcome-back voucher", "50.00", 30, 10),
    "first_order": CouponSeed("first_order", "首单立减券", "First-order voucher", "30.00", 14, 1),
    "renewal": CouponSeed("renewal", "续费礼券", "Renewal voucher", "30.00", 45, 10),
}


def _coupon(session: Session, seed: CouponSeed, now: datetime) -> int:
    """The seed's template (made on first use, found by its names afterwards)."""
    found = session.scalars(
        select(CouponTemplate.id).where(
            CouponTemplate.purpose == seed.purpose, CouponTemplate.name_en == seed.name_en
        )
    ).first()
    if found is not None:
        return int(found)
    row = CouponTemplate(
        name_zh=seed.name_zh,
        name_en=seed.name_en,
        purpose=seed.purpose,
        terms={"kind": "amount_off", "amount": seed.amount},
        valid_days=seed.valid_days,
        per_member_limit=seed.per_member_limit,
        version=1,
        issued_count=0,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def _definitions(coupons: dict[str, int]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(slug, zh name, en name, definition) of every seed."""
    return [
        (
            BIRTHDAY,
            "生日关怀",
            "Birthday greeting",
            {
                "trigger": {"type": "birthday", "days_before": 1},
                "reentry": "every_time",
                "goal": {"event": "purchased", "within_days": 30, "exit_on_goal": False},
                "start": "coupon",
                "nodes": [
                    {
                        "id": "coupon",
                        "type": "coupon",
                        "template_id": coupons["birthday"],
                        "announce": False,
                        "next": "greet",
                    },
                    {"id": "greet", "type": "send", "purpose": "birthday"},
                ],
            },
        ),
        (
            "seed-win-back",
            "高价值客户挽回",
            "Win back a good customer",
            {
                "trigger": {"type": "lapsed", "days": 60},
                "when": {
                    "any": [
                        {"fact": "spend_365d", "op": "gte", "value": 1000},
                        {"fact": "purchases_365d", "op": "gte", "value": 4},
                    ]
                },
                "reentry": "after_exit",
                "goal": {"event": "purchased", "within_days": 30},
                "start": "coupon",
                "nodes": [
                    {
                        "id": "coupon",
                        "type": "coupon",
                        "template_id": coupons["win_back"],
                        "announce": False,
                        "next": "offer",
                    },
                    {"id": "offer", "type": "send", "purpose": "reactivation", "next": "wait"},
                    {"id": "wait", "type": "wait", "days": 10, "next": "call"},
                    {
                        "id": "call",
                        "type": "task",
                        "kind": "call",
                        "due_days": 3,
                        "script_zh": "客户60多天没来了，已发回归券。打个电话问候近况，提醒券的有效期。",
                        "script_en": "Over 60 days since their last visit and a welcome-back voucher sent: "
                        "call to catch up and mention when the voucher runs out.",
                    },
                ],
            },
        ),
        (
            "seed-first-order",
            "新会员首单礼",
            "First-order nudge",
            {
                "trigger": {"type": "event", "event": "registered"},
                "reentry": "once",
                "goal": {"event": "purchased", "within_days": 14},
                "start": "wait",
                "nodes": [
                    {"id": "wait", "type": "wait", "hours": 24, "next": "bought"},
                    {
                        "id": "bought",
                        "type": "condition",
                        "rule": {"fact": "purchases_365d", "op": "eq", "value": 0},
                        "yes": "coupon",
                    },
                    {
                        "id": "coupon",
                        "type": "coupon",
                        "template_id": coupons["first_order"],
                        "announce": False,
                        "next": "nudge",
                    },
                    {"id": "nudge", "type": "send", "purpose": "first_order"},
                ],
            },
        ),
        (
            "seed-renewal",
            "权益到期续费提醒",
            "Benefit renewal",
            {
                "trigger": {"type": "benefit_expiring", "days_before": 30},
                "reentry": "every_time",
                "goal": {"event": "purchased", "within_days": 30, "exit_on_goal": False},
                "start": "remind",
                "nodes": [
                    {"id": "remind", "type": "send", "purpose": "benefit_expiry", "next": "coupon"},
                    {"id": "coupon", "type": "coupon", "template_id": coupons["renewal"]},
                ],
            },
        ),
        (
            "seed-cross-sell",
            "购后一周推荐搭配",
            "Cross-sell a week after a purchase",
            {
                "trigger": {"type": "event", "event": "purchased"},
                "reentry": "after_exit",
                "goal": {"event": "purchased", "within_days": 21},
                "start": "wait",
                "nodes": [
                    {"id": "wait", "type": "wait", "days": 7, "until_time": "11:00", "next": "note"},
                    {
                        "id": "note",
                        "type": "send",
                        "purpose": "campaign",
                        "values_zh": {"text": "上周的购买可以搭配新品，欢迎到店看看。"},
                        "values_en": {"text": "New pieces that go with last week's purchase are in store."},
                    },
                ],
            },
        ),
        (
            MEMBER_DAY,
            "会员日提醒",
            "Member day announcement",
            {
                "trigger": {"type": "member_day", "days_before": 1},
                "reentry": "every_time",
                "goal": {"event": "purchased", "within_days": 2, "exit_on_goal": False},
                "start": "announce",
                "nodes": [{"id": "announce", "type": "send", "purpose": "member_day"}],
            },
        ),
        (
            "seed-heat-follow-up",
            "热度下降跟进",
            "Follow up a cooling member",
            {
                "trigger": {"type": "event", "event": "heat_alert"},
                "reentry": "after_exit",
                "holdout_percent": 10,
                "goal": {"event": "purchased", "within_days": 21},
                "start": "call",
                "nodes": [
                    {
                        "id": "call",
                        "type": "task",
                        "kind": "call",
                        "due_days": 2,
                        "script_zh": "这位会员的热度指数连续两周下降。"
                        "打个电话或发微信关心一下，问问最近的需要。",
                        "script_en": "This member's heat index fell two weeks running. Call or message to "
                        "check in and ask what they are looking for.",
                    },
                ],
            },
        ),
        (
            "seed-dormant-campaign",
            "沉睡会员唤醒",
            "Wake dormant members",
            {
                "trigger": {"type": "audience", "rule": {"fact": "dormancy", "op": "eq", "value": "dormant"}},
                "reentry": "once",
                "goal": {"event": "purchased", "within_days": 30},
                "start": "coupon",
                "nodes": [
                    {
                        "id": "coupon",
                        "type": "coupon",
                        "template_id": coupons["win_back"],
                        "announce": False,
                        "next": "offer",
                    },
                    {"id": "offer", "type": "send", "purpose": "reactivation"},
                ],
            },
        ),
        (
            "seed-replenishment",
            "智能补货提醒",
            "Replenishment reminder",
            {
                "trigger": {"type": "event", "event": "replenishment_due"},
                "reentry": "every_time",
                "goal": {"event": "purchased", "within_days": 14},
                "start": "remind",
                "nodes": [{"id": "remind", "type": "send", "purpose": "replenishment"}],
            },
        ),
    ]


def ensure_seed_journeys(session: Session, now: datetime) -> int:
    """Create and publish the seed journeys that do not exist yet (switched off everywhere); how many."""
    have = set(session.scalars(select(Journey.slug).where(Journey.slug.like("seed-%"))))
    wanted = [s for s, *_ in _definitions(dict.fromkeys(COUPONS, 1))]
    if all(s in have for s in wanted):
        return 0
    coupons = {name: _coupon(session, seed, now) for name, seed in COUPONS.items()}
    made = 0
    for slug, name_zh, name_en, raw in _definitions(coupons):
        if slug in have:
            continue
        definition = d.parse_definition(raw).model_dump(mode="json", exclude_none=True)
        journey = Journey(
            slug=slug,
            name_zh=name_zh,
            name_en=name_en,
            store_id=None,
            status="active",
            draft=definition,
            per_store_switch=True,
            created_at=now,
            updated_at=now,
        )
        session.add(journey)
        session.flush()
        version = JourneyVersion(journey_id=journey.id, version=1, definition=definition, published_at=now)
        session.add(version)
        session.flush()
        journey.live_version_id = version.id
        made += 1
    session.flush()
    return made


def switched_on_stores(session: Session, slug: str) -> set[int]:
    """The stores where the seed journey `slug` is published, active and switched on."""
    stmt = (
        select(JourneyStoreSwitch.store_id)
        .join(Journey, Journey.id == JourneyStoreSwitch.journey_id)
        .where(Journey.slug == slug, Journey.status == "active", JourneyStoreSwitch.enabled.is_(True))
    )
    return set(session.scalars(stmt))
