"""Coupon templates: validated when saved, and an edit never changes a coupon already issued."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.coupons.conftest import TEMPLATES, Shop


def _save(shop: Shop, **fields: Any) -> Any:
    body = {
        "name_zh": "券",
        "name_en": "Coupon",
        "purpose": "campaign",
        "terms": {"kind": "amount_off", "amount": "50.00"},
        "valid_days": 30,
    } | fields
    return shop.client.post(TEMPLATES, json=body, headers=shop.as_(shop.world.admin))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"terms": {"kind": "percent_off", "percent": 0}}, "greater than or equal to 1"),
        ({"terms": {"kind": "percent_off", "percent": 100}}, "less than or equal to 99"),
        ({"terms": {"kind": "amount_off", "amount": "0"}}, "greater than 0"),
        ({"terms": {"kind": "amount_off", "amount": "5.001"}}, "decimal places"),
        ({"terms": {"kind": "amount_off"}}, "needs amount"),
        ({"terms": {"kind": "amount_off", "amount": "5", "percent": 10}}, "takes no percent"),
        ({"valid_days": None, "valid_from": "2024-07-10", "valid_until": "2024-07-01"}, "after valid_from"),
        ({"valid_from": "2024-07-01", "valid_until": "2024-07-31"}, "not both"),
        ({"valid_days": None}, "give valid_days"),
        ({"purpose": "bribe"}, "purpose"),
    ],
)
def test_bad_terms_are_a_422_with_the_reason(shop: Shop, fields: dict[str, Any], reason: str) -> None:
    answer = _save(shop, **fields)
    assert answer.status_code == 422 and reason in answer.text, answer.text


def test_unknown_categories_products_and_stores_are_named(shop: Shop) -> None:
    terms = {"kind": "amount_off", "amount": "5", "categories": ["bags", "hats"], "product_ids": [999999]}
    answer = _save(shop, terms=terms | {"store_ids": [424242]})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "hats" in detail and "bags" not in detail and "999999" in detail and "424242" in detail


def test_only_an_admin_saves_templates_and_the_floor_reads_them(shop: Shop) -> None:
    body = {
        "name_zh": "券",
        "name_en": "C",
        "purpose": "manual",
        "terms": {"kind": "amount_off", "amount": "5"},
    }
    for staff in (shop.world.clerk_a, shop.world.manager_a, shop.world.analyst):
        refused = shop.client.post(TEMPLATES, json=body | {"valid_days": 3}, headers=shop.as_(staff))
        assert refused.status_code == 403
    made = shop.template()
    listed = shop.client.get(TEMPLATES, headers=shop.as_(shop.world.clerk_a)).json()
    assert [t["id"] for t in listed["items"]] == [made["id"]] and listed["items"][0]["version"] == 1


def test_an_edit_is_a_new_version_and_issued_coupons_keep_their_terms(shop: Shop) -> None:
    made = shop.template(per_member_limit=2)
    first = shop.issue(shop.ann, made["id"], "k1").json()
    edited = shop.client.put(
        f"{TEMPLATES}/{made['id']}",
        json={
            "name_zh": "立减80元券",
            "name_en": "80 off",
            "purpose": "campaign",
            "terms": {"kind": "amount_off", "amount": "80.00"},
            "valid_days": 30,
            "per_member_limit": 2,
        },
        headers=shop.as_(shop.world.admin),
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert edited.json()["updated_by"] == shop.world.admin.id
    second = shop.issue(shop.ann, made["id"], "k2").json()
    mine = shop.client.get(
        f"/api/v1/members/{shop.ann.id}/coupons", params={"lang": "en"}, headers=shop.as_(shop.world.clerk_a)
    ).json()["items"]
    by_id = {c["id"]: c for c in mine}
    assert (by_id[first["id"]]["terms"]["amount"], by_id[first["id"]]["name"]) == ("50.00", "50 off")
    assert (by_id[first["id"]]["template_version"], by_id[second["id"]]["template_version"]) == (1, 2)
    assert (by_id[second["id"]]["terms"]["amount"], by_id[second["id"]]["value"]) == ("80.00", "80 off")
    # What the till takes off is the coupon's own terms: the first still gives 50.
    sale = shop.sell(shop.ann, [{"sku": "BAG-1", "quantity": 1}], "t1", first["code"])
    assert sale.status_code == 201 and sale.json()["transaction"]["total_amount"] == "150.00"
