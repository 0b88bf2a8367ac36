"""Issuing coupons: one code per key, limits that hold under parallel requests, batches to a segment."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.coupons.service import issue_coupon
from server.db.tables import Coupon, MemberTag
from server.offers.codes import ALPHABET
from tests.fixtures.race import race
from tests.server.coupons.conftest import NOW, TEMPLATES, Shop

CODE = re.compile(rf"^AISLE-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
N = 20


def _coupons(session: Session, member_id: int | None = None) -> int:
    session.expire_all()
    stmt = select(func.count(Coupon.id))
    if member_id is not None:
        stmt = stmt.where(Coupon.member_id == member_id)
    return int(session.scalar(stmt) or 0)


def test_a_clerk_issues_once_per_key_and_a_key_is_one_members(shop: Shop, session: Session) -> None:
    t = shop.template(purpose="welcome", name_zh="新手礼包", name_en="Welcome gift")
    first = shop.issue(shop.ann, t["id"], "phone-1:0001")
    assert first.status_code == 201, first.text
    coupon = first.json()
    assert CODE.match(coupon["code"]) and coupon["status"] == "open" and coupon["name"] == "Welcome gift"
    assert (coupon["valid_from"], coupon["valid_until"]) == ("2024-06-30", "2024-07-30")
    again = shop.issue(shop.ann, t["id"], "phone-1:0001")
    assert again.status_code == 200 and again.json() == coupon
    other = shop.issue(shop.bob, t["id"], "phone-1:0001")
    assert other.status_code == 409 and "another member" in other.json()["detail"]
    held = shop.issue(shop.ann, t["id"], "phone-1:0002")
    assert held.status_code == 409 and "already holds 1 coupon" in held.json()["detail"]
    # Store B's clerk cannot reach store A's member; nor can a cashier issue.
    assert shop.issue(shop.ann, t["id"], "b-1", staff=shop.world.clerk_b).status_code == 403
    assert shop.issue(shop.ann, t["id"], "c-1", staff=shop.world.cashier_a).status_code == 403
    assert _coupons(session) == 1


def test_twenty_parallel_issues_respect_the_per_member_limit(shop: Shop, session: Session) -> None:
    t = shop.template(per_member_limit=3)
    answers = race(N, lambda i: shop.issue(shop.ann, t["id"], f"race-{i}"))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * (N - 3), [a.text for a in answers]
    assert _coupons(session, shop.ann.id) == 3
    codes = {a.json()["code"] for a in answers if a.status_code == 201}
    assert len(codes) == 3


def test_twenty_parallel_replays_of_one_key_give_one_coupon(shop: Shop, session: Session) -> None:
    t = shop.template(per_member_limit=5)
    answers = race(N, lambda i: shop.issue(shop.ann, t["id"], "same-key"))
    assert sorted(a.status_code for a in answers) == [200] * (N - 1) + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1 and _coupons(session) == 1


def test_the_total_limit_and_a_switched_off_template_refuse_with_the_reason(shop: Shop) -> None:
    t = shop.template(total_limit=1)
    assert shop.issue(shop.ann, t["id"], "a").status_code == 201
    full = shop.issue(shop.bob, t["id"], "b")
    assert full.status_code == 409 and "reached its limit of 1" in full.json()["detail"]
    off = shop.template(active=False)
    assert "switched off" in shop.issue(shop.ann, off["id"], "c").json()["detail"]
    over = shop.template(valid_days=None, valid_from="2024-05-01", valid_until="2024-06-01")
    assert "ran until 2024-06-01" in shop.issue(shop.ann, over["id"], "d").json()["detail"]


def test_a_batch_to_a_tag_is_idempotent_per_member_and_reports_skips(shop: Shop, session: Session) -> None:
    t = shop.template(purpose="birthday", name_zh="生日券", name_en="Birthday coupon")
    for member in (shop.ann, shop.bob, shop.cat):
        session.add(MemberTag(member_id=member.id, tag="june birthdays", source="staff", tagged_at=NOW))
    session.commit()
    # Bob already holds one from a clerk: the batch skips him with the reason.
    assert shop.issue(shop.bob, t["id"], "clerk-bob").status_code == 201
    url = f"{TEMPLATES}/{t['id']}/batches"
    body = {"batch_key": "2024-06", "tag": "june birthdays"}
    first = shop.client.post(url, json=body, headers=shop.as_(shop.world.admin))
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["matched"] == 3 and len(report["issued"]) == 2
    assert [(s["member_id"], "already holds 1 coupon" in s["reason"]) for s in report["skipped"]] == [
        (shop.bob.id, True)
    ]
    again = shop.client.post(url, json=body, headers=shop.as_(shop.world.admin)).json()
    assert again["issued"] == [] and {s["reason"] for s in again["skipped"]} >= {
        "already issued by this batch"
    }
    assert _coupons(session) == 3


def test_a_batch_by_rule_reaches_the_members_whose_facts_match(shop: Shop, session: Session) -> None:
    t = shop.template()
    url = f"{TEMPLATES}/{t['id']}/batches"
    bad = shop.client.post(
        url,
        json={"batch_key": "x", "rule": {"fact": "shoe_size", "op": "gt", "value": 3}},
        headers=shop.as_(shop.world.admin),
    )
    assert bad.status_code == 422 and "shoe_size" in bad.text
    shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], "buy-1")
    rule = {"fact": "purchases_365d", "op": "gte", "value": 1}
    done = shop.client.post(
        url, json={"batch_key": "buyers", "rule": rule}, headers=shop.as_(shop.world.admin)
    )
    assert done.status_code == 200 and done.json()["matched"] == 1
    assert _coupons(session, shop.ann.id) == 1 and _coupons(session) == 1


def test_automation_calls_issue_coupon_directly(shop: Shop, session: Session) -> None:
    t = shop.template(purpose="renewal")
    one = issue_coupon(session, t["id"], shop.ann.id, key="journey:7:ann", source="automation", now=NOW)
    two = issue_coupon(session, t["id"], shop.ann.id, key="journey:7:ann", source="automation", now=NOW)
    session.commit()
    assert (one.replayed, two.replayed, one.coupon.id) == (False, True, two.coupon.id)
    assert one.coupon.source == "automation" and one.coupon.valid_until.isoformat() == "2024-07-30"
