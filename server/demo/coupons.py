"""Real coupons for the generated demo history, so the console, the profile and 核销率 have data to show.

The generated sales carry the codes of four deals (WELCOME10, BIRTHDAY15, DOUBLE11, MIDAUTUMN30). Each
deal becomes a coupon template; every sale that used one gets a coupon issued to the member before it
and redeemed by that sale (with the sale's discount), and members are also issued the welcome and
birthday coupons they never used, so redemption rates vary. Bulk inserts in the caller's transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from server.coupons.codes import ALPHABET, PREFIX
from server.db.tables import Coupon, CouponTemplate, Member, Transaction
from server.importer.writer import allocate_ids

# code on the generated sales -> (name zh, name en, purpose, terms, valid days, per-member limit)
DEALS: dict[str, tuple[str, str, str, dict[str, Any], int, int]] = {
    "WELCOME10": (
        "新手礼包·九折券",
        "Welcome gift: 10% off",
        "welcome",
        {"kind": "percent_off", "percent": 10},
        30,
        1,
    ),
    "BIRTHDAY15": (
        "生日85折券",
        "Birthday 15% off",
        "birthday",
        {"kind": "percent_off", "percent": 15},
        31,
        5,
    ),
    "DOUBLE11": (
        "双十一89折券",
        "Double 11: 11% off",
        "campaign",
        {"kind": "percent_off", "percent": 11},
        11,
        5,
    ),
    "MIDAUTUMN30": (
        "中秋满300减30",
        "Mid-Autumn: 30 off 300",
        "campaign",
        {"kind": "amount_off", "amount": "30.00", "min_spend": "300.00"},
        14,
        5,
    ),
}


def _terms(raw: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "amount": None,
        "percent": None,
        "min_spend": "0",
        "categories": [],
        "product_ids": [],
    }
    return base | {"gift_product_id": None, "store_ids": [], "stackable": False, "on_return": "restore"} | raw


def _codes(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        code = "-".join((PREFIX, *("".join(rng.choice(ALPHABET) for _ in range(4)) for _ in range(2))))
        if code not in seen:
            seen.add(code)
            yield code


def _issued_for(deal: str, sale_at: datetime, joined: date) -> date:
    """When the coupon a sale used was issued: at joining, the birthday month's first day, or before."""
    day = sale_at.date()
    if deal == "WELCOME10":
        return min(joined, day)
    if deal == "BIRTHDAY15":
        return day.replace(day=1)
    if deal == "DOUBLE11":
        return day.replace(day=1)
    return day - timedelta(days=3)


def seed_coupons(conn: Connection, seed: int, now: datetime) -> int:
    """Templates for the demo's deals and the coupons of its history; how many coupons were written."""
    rng, codes = random.Random(seed), _codes(random.Random(seed + 1))
    template_ids = allocate_ids(conn, CouponTemplate.__table__, len(DEALS))  # type: ignore[arg-type]
    templates = dict(zip(DEALS, template_ids, strict=True))
    rows: list[dict[str, Any]] = []
    counts = dict.fromkeys(DEALS, 0)

    def coupon(deal: str, member: int, issued: date, sale: tuple[int, datetime, Decimal] | None) -> None:
        name_zh, name_en, _, terms, days, _ = DEALS[deal]
        counts[deal] += 1
        morning = datetime.combine(issued, time(9), UTC)
        rows.append(
            {
                "template_id": templates[deal],
                "template_version": 1,
                "member_id": member,
                "code": next(codes),
                "idempotency_key": f"demo:sale:{sale[0]}" if sale else f"demo:{deal}:{member}:{issued}",
                "source": "automation",
                "staff_id": None,
                "store_id": None,
                "name_zh": name_zh,
                "name_en": name_en,
                "terms": _terms(terms),
                "note": {},
                "valid_from": issued,
                "valid_until": issued + timedelta(days=days),
                "issued_at": min(morning, sale[1] - timedelta(minutes=1)) if sale else morning,
                "redeemed_at": sale[1] if sale else None,
                "redeemed_transaction_id": sale[0] if sale else None,
                "discount_amount": sale[2] if sale else None,
            }
        )

    members = {
        m: (joined, born)
        for m, joined, born in conn.execute(select(Member.id, Member.joined_on, Member.birthday))
    }
    t = Transaction
    used: Any = conn.execute(
        select(t.id, t.member_id, t.occurred_at, t.discount_amount, t.coupon_code)
        .where(t.kind == "sale", t.member_id.is_not(None), t.coupon_code.in_(list(DEALS)))
        .order_by(t.id)
    )
    welcomed: set[int] = set()
    treated: set[tuple[int, date]] = set()
    for txn_id, member, at, discount, deal in used:
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        issued = _issued_for(deal, at, members[member][0])
        key = (member, issued)
        if deal == "WELCOME10":
            welcomed.add(member)
        if deal == "BIRTHDAY15":
            treated.add(key)
        coupon(deal, member, issued, (txn_id, at, discount))
    today = now.date()
    for member, (joined, born) in members.items():
        if member not in welcomed and joined <= today:
            coupon("WELCOME10", member, joined, None)
        for year in range(joined.year, today.year + 1):
            if born is None:
                break
            first = date(year, born.month, 1)
            # Most birthday coupons go out; a few members opted out of them.
            if joined <= first <= today and (member, first) not in treated and rng.random() < 0.8:
                coupon("BIRTHDAY15", member, first, None)
    conn.execute(
        insert(CouponTemplate.__table__),  # type: ignore[arg-type]
        [
            {
                "id": templates[deal],
                "name_zh": zh,
                "name_en": en,
                "purpose": purpose,
                "terms": _terms(terms),
                "valid_days": days,
                "valid_from": None,
                "valid_until": None,
                "per_member_limit": limit,
                "total_limit": None,
                "issued_count": counts[deal],
                "version": 1,
                "active": True,
                "created_by": None,
                "updated_by": None,
                "created_at": now,
                "updated_at": now,
            }
            for deal, (zh, en, purpose, terms, days, limit) in DEALS.items()
        ],
    )
    ids = allocate_ids(conn, Coupon.__table__, len(rows))  # type: ignore[arg-type]
    if rows:
        conn.execute(insert(Coupon.__table__), [r | {"id": i} for r, i in zip(rows, ids, strict=True)])  # type: ignore[arg-type]
    return len(rows)
