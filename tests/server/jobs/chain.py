"""A small chain on which every nightly step has something to do (for the shared-night tests)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.tables import (
    AutomationEvent,
    Coupon,
    CouponTemplate,
    Interaction,
    MemberEvent,
    MemberTag,
    MemberTier,
    OutboxMessage,
    PointsEntry,
    TierChange,
)
from server.loyalty.config import save_setting
from server.loyalty.service import apply_transaction
from server.tags.service import create_rule
from tests.server.loyalty.rows import Shop, at

NIGHT = at(2024, 6, 24, 2)  # a Monday; the 25th is a member day


def fill_chain(session: Session) -> None:
    """Nine members: birthdays tonight, lots expiring tonight and within the month, a dormant one, a
    weekly shopper who stopped, a follow-up due, tiers to review."""
    save_setting(
        session,
        "earn",
        {"lifetime_days": 60, "multipliers": [{"kind": "member_day", "factor": "2", "day_of_month": 25}]},
        at(2024, 1, 1),
    )
    create_rule(
        session, "dormant", {"fact": "days_since_last_purchase", "op": "gt", "value": 180}, at(2024, 1, 1)
    )
    session.add(
        CouponTemplate(
            name_zh="生日礼券",
            name_en="Birthday voucher",
            purpose="birthday",
            terms={"kind": "amount_off", "amount": "88.00"},
            valid_days=30,
            per_member_limit=1,
            active=True,
            version=1,
            issued_count=0,
        )
    )
    shop = Shop(session)
    bag = shop.product("bags", "600.00")

    def buy(member: Any, when: datetime, price: str = "600.00") -> None:
        sale = shop.sale(member, when, [(bag, 1, price)])
        apply_transaction(session, sale.id, sale.occurred_at)

    old = shop.member("Old Timer", consent=True)
    buy(old, at(2023, 11, 1))
    regular = shop.member("Regular", consent=True)
    for day in (3, 10, 17, 24):
        buy(regular, at(2024, 4, day))
    buy(regular, at(2024, 5, 10))  # expires on 9 July: reminded tonight
    birthday = shop.member("Birthday Ann", birthday=date(1990, 6, 24), consent=True)
    buy(birthday, at(2024, 6, 3))  # growing: her birthday discount lapses with June
    shop.member("Birthday Bo", birthday=date(1985, 6, 24))
    ann = shop.member("Weekly Wen")
    scarf = shop.product("accessories", "40.00")
    for week in range(11):  # every Wednesday from 27 March to 5 June, then no more: her heat falls
        shop.sale(ann, at(2024, 3, 27) + timedelta(days=7 * week), [(scarf, 1, "40.00")])
    staff = shop.consultant(ann)
    session.add(
        Interaction(
            member_id=ann.id,
            staff_id=staff.id,
            channel="call",
            note="asked about the summer catalogue",
            occurred_at=NIGHT - timedelta(days=5),
            follow_up_on=date(2024, 6, 23),
        )
    )
    big = shop.member("Big Spender", consent=True)
    for day in (1, 8, 15):
        buy(big, at(2024, 6, day), "3000.00")
    for n in range(3):
        quiet = shop.member(f"Quiet {n}", consent=n % 2 == 0)
        buy(quiet, at(2024, 5, 20 + n), "80.00")
    session.flush()


def _keyed(key: str | None) -> str | None:
    """A key without the surrogate ids a rolled-back run used up (PostgreSQL does not hand them out again)."""
    return None if key is None else re.sub(r"(tier-change|tier_changed|coupon-issued):\d+", r"\1:#", key)


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """What a night leaves behind, as comparable rows (no surrogate ids, no wall-clock times)."""
    rows: dict[str, Any] = {
        "points": select(
            PointsEntry.member_id, PointsEntry.kind, PointsEntry.points, PointsEntry.idempotency_key
        ),
        "tiers": select(MemberTier.member_id, MemberTier.tier, MemberTier.spend, MemberTier.visits),
        "tier_changes": select(
            TierChange.member_id, TierChange.from_tier, TierChange.to_tier, TierChange.trigger
        ),
        "tags": select(MemberTag.member_id, MemberTag.tag, MemberTag.source, MemberTag.explanation),
        "events": select(
            MemberEvent.member_id,
            MemberEvent.kind,
            MemberEvent.staff_id,
            MemberEvent.text,
            MemberEvent.dedup_key,
        ),
        "messages": select(
            OutboxMessage.member_id, OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.dedup_key
        ),
        "coupons": select(Coupon.member_id, Coupon.template_id, Coupon.idempotency_key),
        "automation_events": select(AutomationEvent.kind, AutomationEvent.member_id, AutomationEvent.key),
    }
    out = {}
    for name, stmt in rows.items():
        found = [tuple(_keyed(v) if isinstance(v, str) else v for v in row) for row in session.execute(stmt)]
        out[name] = sorted(found, key=repr)
    return out
