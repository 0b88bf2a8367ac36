"""The floor: an arrival at the till reaches the signed-in clerk's screen by push, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mobile_app.screens.floor import FloorScreen
from mobile_app.widgets.theme import cjk_wrap
from tests.mobile_app.screens.conftest import Phone, english_words


def _till_token(phone: Phone) -> str:
    return phone.server.token(*phone.server.admin)


def test_an_arrival_at_the_till_is_pushed_to_the_floor(clerk: Phone, shots: Path) -> None:
    # Pushed, not polled: the card shows with no refresh by the clerk (bench/app_start.py times it).
    phone, server = clerk, clerk.server
    floor: FloorScreen = phone.screen("floor")  # type: ignore[assignment]
    token = _till_token(phone)
    before = len({c.member_id for c in phone.state.feed} | {server.featured_member_id})
    alerts = phone.app.notifier.count
    event = phone.pump_while(lambda: server.arrive(token, card=server.featured_card))

    def shown() -> bool:
        views = floor.card_views()
        return len(views) == before and views[0].member_id == event["member_id"]

    phone.wait(shown, "the till's arrival on the floor")
    card = floor.card_views()[0]
    assert card.name == server.featured_name == "王芳"
    assert card.ids.name.text == "王芳"
    assert card.tier_label in ("New", "Growing", "Loyal", "VIP")
    assert card.ids.badge.text == card.tier_label
    assert card.talking_point and card.ids.talking_point.text == cjk_wrap(card.talking_point)
    assert "at the till" in card.meta
    assert phone.app.notifier.count == alerts + 1 and phone.app.notifier.last == "王芳"
    phone.save_png(shots / "floor.png")


def test_newest_arrival_goes_on_top_and_a_tap_opens_the_member(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    floor: FloorScreen = phone.screen("floor")  # type: ignore[assignment]
    token = _till_token(phone)
    server.arrive(token, card=server.featured_card)
    other = server.arrive(token, member_id=2 if server.featured_member_id != 2 else 3)
    phone.wait(lambda: floor.card_views()[0].member_id == other["member_id"], "the newest arrival on top")
    views = floor.card_views()
    assert views[1].member_id == server.featured_member_id
    # One card per member, newest arrival first: the featured member's second arrival did not add a card.
    members = list(dict.fromkeys(c.member_id for c in phone.state.feed))
    assert [v.member_id for v in views] == members
    phone.set_lang("zh")
    assert floor.card_views()[1].tier_label != "" and "收银台" in floor.card_views()[0].meta
    phone.save_png(shots / "floor_zh.png")
    phone.set_lang("en")
    views[1].dispatch("on_release")
    phone.wait(lambda: phone.current() == "member", "the member screen after the tap")
    phone.wait(
        lambda: phone.state.member is not None and phone.state.member.id == server.featured_member_id,
        "the tapped member's profile",
    )


def _dormant_shanghai_member(phone: Phone) -> dict[str, Any]:
    server = phone.server
    for member_id in range(1, 150):
        profile: dict[str, Any] = phone.get(f"members/{member_id}/profile", server.admin)
        home = (profile["home_store"] or {}).get("id")
        if home == server.store_id and profile["dormancy"]["status"] == "dormant":
            return profile
    raise AssertionError("the demo chain lacks a dormant Shanghai member")


def test_a_quiet_members_card_says_so_in_the_clerks_language(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    floor: FloorScreen = phone.screen("floor")  # type: ignore[assignment]
    profile = _dormant_shanghai_member(phone)
    token = _till_token(phone)
    phone.pump_while(lambda: server.arrive(token, member_id=profile["id"]))
    phone.wait(lambda: floor.card_views()[0].member_id == profile["id"], "the quiet member's card on top")
    assert profile["dormancy"]["text"] in floor.card_views()[0].meta
    phone.set_lang("zh")
    try:
        card = floor.card_views()[0]
        days, last = profile["dormancy"]["days_since_last_purchase"], profile["rfm"]["last_purchase_on"]
        assert card.meta.endswith(f" · 沉睡：上次购买在 {days} 天前（{last}）")
        assert "收银台" in card.meta and english_words(card.meta) == []
        assert card.tier_label == {"new": "新会员", "growing": "成长会员", "loyal": "忠实会员"}.get(
            profile["tier"]["name"], profile["tier"]["name"]
        )
        phone.save_png(shots / "floor_quiet_zh.png")
    finally:
        phone.set_lang("en")
    assert floor.card_views()[0].meta.endswith(profile["dormancy"]["text"])
