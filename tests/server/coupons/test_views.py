"""What members, clerks and HQ see of coupons: the member's list, the 360° view, 核销率 and its tag."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db.tables import Coupon, MemberTag, Staff
from server.recommendations.facts import expiring_coupon
from server.tags.examples import ensure_example_rules
from tests.server.coupons.conftest import NOW, Shop

BAG = [{"sku": "BAG-1", "quantity": 1}]


def _tags(session: Session, member_id: int) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(MemberTag.tag).where(MemberTag.member_id == member_id)))


def test_the_member_list_filters_open_used_and_expired(shop: Shop, session: Session) -> None:
    t = shop.template(
        per_member_limit=3,
        name_zh="满300减50",
        name_en="50 off 300",
        terms={"kind": "amount_off", "amount": "50.00", "min_spend": "300.00"},
    )
    used, lapsed, kept = (shop.code(shop.ann, t["id"], k) for k in ("a", "b", "c"))
    assert shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 2}], "s", used).status_code == 201
    session.execute(
        update(Coupon).where(Coupon.code == lapsed).values(valid_until=NOW.date() - timedelta(days=1))
    )
    session.commit()
    url = f"/api/v1/members/{shop.ann.id}/coupons"
    headers = shop.as_(shop.world.cashier_a)

    def codes(status: str) -> list[str]:
        found = shop.client.get(url, params={"status": status}, headers=headers)
        assert found.status_code == 200, found.text
        return [c["code"] for c in found.json()["items"]]

    assert (codes("open"), codes("used"), codes("expired")) == ([kept], [used], [lapsed])
    item = shop.client.get(url, params={"status": "open", "lang": "zh"}, headers=headers).json()["items"][0]
    assert (item["name"], item["value"], item["status"]) == ("满300减50", "满300减50", "open")
    # Without lang, the caller's language (the cashier's account is in English).
    en = shop.client.get(url, params={"status": "open"}, headers=headers).json()["items"][0]
    assert (en["name"], en["value"]) == ("50 off 300", "50 off a spend of 300")
    assert shop.client.get(url, params={"status": "lost"}, headers=headers).status_code == 422
    assert shop.client.get(url, headers=shop.as_(shop.world.clerk_b)).status_code == 403


def test_the_360_view_lists_open_coupons_in_the_callers_language(shop: Shop, session: Session) -> None:
    t = shop.template(
        name_zh="生日券", name_en="Birthday coupon", terms={"kind": "percent_off", "percent": 20}
    )
    code = shop.code(shop.ann, t["id"], "b")
    clerk = session.get(Staff, shop.world.clerk_a.id)
    assert clerk is not None
    clerk.locale = "zh-CN"
    session.commit()
    view = shop.client.get(f"/api/v1/members/{shop.ann.id}/profile", headers=shop.as_(shop.world.clerk_a))
    assert view.status_code == 200, view.text
    coupons = view.json()["coupons"]
    assert [(c["code"], c["name"], c["value"], c["valid_until"]) for c in coupons] == [
        (code, "生日券", "8折", "2024-07-30")
    ]
    assert coupons[0]["hint"] == "结账时出示券码即可使用"
    manager = shop.client.get(
        f"/api/v1/members/{shop.ann.id}/profile", headers=shop.as_(shop.world.manager_a)
    )
    assert manager.json()["coupons"][0]["name"] == "Birthday coupon"
    assert expiring_coupon(session, shop.ann.id, NOW) == (
        "生日券",
        "Birthday coupon",
        NOW.date() + timedelta(days=30),
    )


def test_redeeming_four_in_five_coupons_is_not_price_sensitive_and_five_in_five_is(
    shop: Shop, session: Session
) -> None:
    assert ensure_example_rules(session, NOW) > 0
    session.commit()
    t = shop.template(per_member_limit=5)
    codes = [shop.code(shop.ann, t["id"], f"k{i}") for i in range(5)]
    for i, code in enumerate(codes[:4]):
        assert shop.sell(shop.ann, BAG, f"s{i}", code).status_code == 201
    # 4 of 5 = 0.8, and the rule asks for more than 0.8.
    assert "price-sensitive" not in _tags(session, shop.ann.id)
    assert shop.sell(shop.ann, BAG, "s4", codes[4]).status_code == 201
    assert "price-sensitive" in _tags(session, shop.ann.id)
    profile = shop.client.get(f"/api/v1/members/{shop.ann.id}/profile", headers=shop.as_(shop.world.clerk_a))
    assert profile.json()["coupon_redemption_rate"] == 1.0
    # Bob never had a coupon: the fact is unknown, the rule does not fire, the profile says null.
    for i in range(3):
        assert shop.sell(shop.bob, BAG, f"b{i}").status_code == 201
    assert "price-sensitive" not in _tags(session, shop.bob.id)
    bob = shop.client.get(f"/api/v1/members/{shop.bob.id}/profile", headers=shop.as_(shop.world.clerk_a))
    assert bob.json()["coupon_redemption_rate"] is None


def test_figures_per_template_for_hq_and_a_managers_own_stores(shop: Shop) -> None:
    t = shop.template(name_zh="立减50", name_en="50 off")
    a, _ = shop.code(shop.ann, t["id"], "a"), shop.code(shop.bob, t["id"], "b")
    assert shop.issue(shop.cat, t["id"], "c", staff=shop.world.clerk_b).status_code == 201
    sale = shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 2}], "s", a).json()["transaction"]
    url = "/api/v1/coupons/figures"
    hq = shop.client.get(url, params={"lang": "en"}, headers=shop.as_(shop.world.analyst))
    assert hq.status_code == 200, hq.text
    assert hq.json() == [
        {
            "template_id": t["id"],
            "name": "50 off",
            "purpose": "campaign",
            "issued": 3,
            "redeemed": 1,
            "redemption_rate": 0.3333,
            "discount_given": "50.00",
            "revenue": sale["total_amount"],
        }
    ]
    mine = shop.client.get(url, headers=shop.as_(shop.world.manager_a)).json()
    # Store A's manager counts store A's members only (Cat is store B's).
    assert (mine[0]["issued"], mine[0]["redeemed"], mine[0]["redemption_rate"]) == (2, 1, 0.5)
    assert shop.client.get(url, headers=shop.as_(shop.world.clerk_a)).status_code == 403
