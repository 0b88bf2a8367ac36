"""Talking points say only what the member's own facts support, in the member's language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from models.member import MemberFacts, Purchase
from models.talking_points import next_birthday, talking_points
from tests.models.clerk_shop import TODAY, FakeEncoder, shop_catalog, shop_index

D = dt.date
WHITE_LANTERN, LANTERN_CANDLE_SET, TEALIGHTS, MUG, PHOTO_FRAME, BUD_VASE = 10, 7, 3, 32, 21, 26
# The fake encoder's bag-of-words vectors are less alike than a sentence model's.
MATCH = 0.4


def ann(locale: str = "en", **facts: object) -> MemberFacts:
    purchases = (
        Purchase(WHITE_LANTERN, TODAY - dt.timedelta(days=45), unit_price=18.0),
        Purchase(MUG, TODAY - dt.timedelta(days=200), unit_price=7.0),
        Purchase(PHOTO_FRAME, TODAY - dt.timedelta(days=120), unit_price=10.0),
    )
    return MemberFacts(member_id=7, name="Ann", locale=locale, purchases=purchases, **facts)  # type: ignore[arg-type]


FULL: dict[str, Any] = {
    "birthday": D(1980, 6, 20),
    "tier": "Silver",
    "next_tier": "Gold",
    "spend_to_next_tier": 40.0,
    "points_expiring": 300,
    "points_expire_on": D(2024, 6, 30),
}


def points_for(member: MemberFacts, **kw: object) -> dict[str, str]:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    found = talking_points(member, catalog, TODAY, index=index, match_min_similarity=MATCH, **kw)  # type: ignore[arg-type]
    return {p.kind: p.text for p in found}


def test_a_member_with_everything_on_file_gets_the_four_most_useful_points() -> None:
    said = points_for(ann(**FULL))
    assert list(said) == ["birthday", "points_expiring", "tier_close", "matching_new"]
    assert said["birthday"] == "Birthday in 5 days (20 Jun)."
    assert said["points_expiring"] == "300 points expire on 30 Jun, in 15 days."
    assert said["tier_close"] == "Only £40 more spend to reach Gold."
    assert said["matching_new"] == (
        "Bought the White lantern 45 days ago; the matching White lantern candle set is new this week."
    )
    catalog = shop_catalog()
    found = talking_points(ann(**FULL), catalog, TODAY, index=shop_index(catalog, FakeEncoder()))
    for point in found:  # every number the clerk reads out is one of the facts the point carries
        for number in re.findall(r"\d+", point.text):
            assert any(number in str(v) for v in point.facts.values()), (number, point)


def test_a_new_item_is_matched_against_the_latest_purchases_only(monkeypatch: pytest.MonkeyPatch) -> None:
    bought = {WHITE_LANTERN: 300, MUG: 20, PHOTO_FRAME: 10}  # item -> days ago
    lines = tuple(Purchase(i, TODAY - dt.timedelta(days=d), unit_price=5.0) for i, d in bought.items())
    member = MemberFacts(member_id=3, name="Cy", purchases=lines)
    assert "White lantern" in points_for(member)["matching_new"]
    monkeypatch.setattr("models.talking_points.ANCHOR_ITEMS", 2)  # the lantern is the oldest of three
    assert "matching_new" not in points_for(member)


def test_no_text_match_when_the_model_cannot_read_the_catalogue() -> None:
    """An index whose text weight is 0 (history-only mode) gives no "like what they bought" point."""
    catalog = shop_catalog()
    index = shop_index(catalog, FakeEncoder())
    member = ann(**FULL)
    before = {p.kind for p in talking_points(member, catalog, TODAY, index=index, match_min_similarity=MATCH)}
    index.text_weight = 0.0
    after = {p.kind for p in talking_points(member, catalog, TODAY, index=index, match_min_similarity=MATCH)}
    assert "matching_new" in before and "matching_new" not in after
    assert after - {"new_in_favourite"} == before - {"matching_new", "new_in_favourite"}


def test_no_birthday_on_file_means_no_birthday_point() -> None:
    said = points_for(ann(**{**FULL, "birthday": None}))
    assert "birthday" not in said and not any("irthday" in text for text in said.values())


def test_a_member_with_only_purchases_gets_only_purchase_points() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    found = talking_points(
        ann(), catalog, TODAY, index=shop_index(catalog, encoder), match_min_similarity=MATCH
    )
    assert {p.kind for p in found} == {"matching_new", "new_in_favourite"}
    new_in = next(p for p in found if p.kind == "new_in_favourite")
    assert new_in.text == "New in Home decor, a favourite of theirs: the Bud vase, in store 5 days."
    assert new_in.facts["item_id"] == BUD_VASE and new_in.facts["item_first_seen"] == "2024-06-10"
    # Every number the clerk reads out is one of the facts the point carries.
    for point in found:
        for number in re.findall(r"\d+", point.text):
            assert any(number in str(v) for v in point.facts.values()), (number, point)


def test_points_outside_their_windows_are_not_mentioned() -> None:
    far = {**FULL, "birthday": D(1980, 9, 1), "spend_to_next_tier": 400.0, "points_expire_on": D(2024, 9, 1)}
    assert set(points_for(ann(**far))) == {"matching_new", "new_in_favourite"}
    spent = {**FULL, "points_expiring": 0}
    assert "points_expiring" not in points_for(ann(**spent))


def test_replenish_due_is_a_talking_point() -> None:
    lines = tuple(Purchase(TEALIGHTS, TODAY - dt.timedelta(days=d)) for d in (95, 65, 35))
    member = MemberFacts(member_id=1, name="Bo", purchases=lines)
    found = talking_points(member, shop_catalog(), TODAY)
    assert [p.kind for p in found] == ["replenish_due", "new_in_favourite"]
    point = found[0]
    assert point.text == (
        "Usually buys the Tealight set of 12 every ~30 days; last bought 35 days ago — due now."
    )
    assert point.facts["cycle_days"] == 30 and point.facts["days_since"] == 35


def test_chinese_member_hears_chinese() -> None:
    said = points_for(ann(locale="zh-CN", **FULL))
    assert said["birthday"] == "5天后（6月20日）是TA的生日。"
    assert said["points_expiring"] == "300积分将于6月30日到期，还剩15天。"
    assert said["tier_close"] == "再消费£40即可升级为Gold。"
    assert said["matching_new"] == "45天前买了白色灯笼，配套的白色灯笼蜡烛套装本周新到。"
    english = points_for(ann(locale="zh-CN", **FULL), lang="en")
    assert english["tier_close"] == "Only £40 more spend to reach Gold."


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (D(1990, 6, 20), D(2024, 6, 15), D(2024, 6, 20)),
        (D(1990, 1, 2), D(2024, 12, 30), D(2025, 1, 2)),
        (D(1992, 2, 29), D(2025, 2, 1), D(2025, 2, 28)),
        (D(1992, 2, 29), D(2024, 2, 1), D(2024, 2, 29)),
        (D(1990, 6, 15), D(2024, 6, 15), D(2024, 6, 15)),
    ],
)
def test_next_birthday(birthday: dt.date, today: dt.date, expected: dt.date) -> None:
    assert next_birthday(birthday, today) == expected


def test_birthday_today_is_said_as_today() -> None:
    said = points_for(ann(birthday=D(1985, 6, 15)))
    assert said["birthday"] == "Birthday today (15 Jun)."


def test_a_coupon_expiring_within_three_days_is_a_point_in_the_members_language() -> None:
    soon = ("生日券", "Birthday coupon", TODAY + dt.timedelta(days=3))
    said = points_for(ann(expiring_coupon=soon))
    day = f"{soon[2].day} {soon[2]:%b}"
    assert said["coupon_expiring"] == f"Their coupon “Birthday coupon” expires in 3 days ({day})."
    zh = points_for(ann("zh-CN", expiring_coupon=soon))["coupon_expiring"]
    assert zh == f"TA的“生日券”3天后（{soon[2].month}月{soon[2].day}日）到期。"
    today = points_for(ann(expiring_coupon=(soon[0], soon[1], TODAY)))["coupon_expiring"]
    assert today == "Their coupon “Birthday coupon” expires today: remind them to use it."
    later = points_for(ann(expiring_coupon=(soon[0], soon[1], TODAY + dt.timedelta(days=4))))
    assert "coupon_expiring" not in later
