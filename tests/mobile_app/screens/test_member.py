"""The member's 360° view, filled from the real profile and suggestions of the demo server."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mobile_app.fonts import font_file_of, registered_font
from mobile_app.screens.member import MemberScreen, tier_fraction
from mobile_app.widgets.cards import SuggestionView
from mobile_app.widgets.theme import cjk_wrap
from tests.mobile_app.screens.conftest import Phone, english_words

# What a clerk in Shanghai reads for the demo's tier, status, tag and persona names.
ZH_TIERS = {"new": "新会员", "growing": "成长会员", "loyal": "忠实会员", "VIP": "VIP"}
ZH_STATUS = {"active": "活跃", "at_risk": "有流失风险", "dormant": "沉睡"}
ZH_TAGS = {
    "high value": "高价值",
    "dormant": "沉睡",
    "price-sensitive": "价格敏感",
    "birthday this month": "本月生日",
    "cooling regular": "降温老客",
}
ZH_PERSONAS = {
    "price-sensitive": "价格敏感型",
    "quality-seeking": "品质追求型",
    "novelty-seeking": "尝鲜型",
    "balanced": "均衡型",
    "not enough history": "购买记录不足",
}


def zh_dormancy(profile: dict[str, Any]) -> str:
    """The dormancy line in Chinese from the profile's figures."""
    d = profile["dormancy"]
    days, last = d["days_since_last_purchase"], profile["rfm"]["last_purchase_on"]
    return f"{ZH_STATUS[d['status']]}：上次购买在 {days} 天前（{last}）"


def zh_progress(tier: dict[str, Any]) -> str:
    """The tier line in Chinese from the profile's figures (the demo ladder: spend or visits)."""
    if not tier["next_tier"]:
        return f"{ZH_TIERS[tier['name']]}已是最高等级"
    needs = [f"再消费 {tier['spend_needed']}"] if Decimal(tier["spend_needed"]) > 0 else []
    needs += [f"再到店 {tier['visits_needed']} 次"] if tier["visits_needed"] else []
    return f"{' 或'.join(needs)}，即可升至{ZH_TIERS[tier['next_tier']]}"


def sentence_labels(screen: MemberScreen) -> dict[str, str]:
    """Every label on the member screen that shows something the server worded."""
    ids = screen.ids
    texts = {name: ids[name].text for name in ("tier_progress", "tier_review", "dormancy", "persona")}
    texts["persona_reasons"] = ids.persona_reasons.text
    texts["tags"] = " ".join(chip.text for chip in ids.tags.children)
    texts["benefits"] = "\n".join(w.text for w in reversed(ids.benefits.children))
    return texts


def _expected_fraction(tier: dict[str, Any]) -> float:
    """Progress to the next tier from the server's own figures: the better of spend and visits."""
    if not tier["next_tier"]:
        return 1.0
    spend = float(tier["window_spend"]) / (float(tier["window_spend"]) + float(tier["spend_needed"]))
    visits = tier["window_visits"] / (tier["window_visits"] + tier["visits_needed"])
    return max(spend, visits)


@pytest.fixture(scope="module")
def shanghai(phone: Phone) -> dict[str, dict[str, Any]]:
    """Shanghai members the clerk may open: the first dormant one and the first below the top tier."""
    server = phone.server
    found: dict[str, dict[str, Any]] = {}
    for member_id in range(1, 150):
        profile = phone.get(f"members/{member_id}/profile", server.admin)
        if (profile["home_store"] or {}).get("id") != server.store_id:
            continue
        if profile["dormancy"]["status"] == "dormant":
            found.setdefault("dormant", profile)
        if profile["tier"]["next_tier"] and profile["tier"]["window_visits"]:
            found.setdefault("climbing", profile)
        if len(found) == 2:
            return found
    raise AssertionError(f"the demo chain lacks a Shanghai member of each kind: found {sorted(found)}")


def _suggestions(screen: MemberScreen) -> list[SuggestionView]:
    return [w for w in reversed(screen.ids.recommendations.children) if isinstance(w, SuggestionView)]


def test_the_featured_member_in_chinese(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    phone.set_lang("zh")
    screen: MemberScreen = phone.open_member(server.featured_member_id)
    phone.wait(lambda: len(_suggestions(screen)) > 0, "the suggestions")
    profile = phone.get(f"members/{server.featured_member_id}/profile", server.clerk)
    name = screen.ids.name
    assert name.text == "王芳"
    # The label draws with the CJK font: the default font name is the registered CJK file.
    cjk = registered_font()
    assert cjk is not None
    assert font_file_of(name.font_name) == str(cjk)
    assert name._label.options["font_name_r"] == str(cjk)
    assert screen.ids.badge.text == {"new": "新会员", "growing": "成长会员", "loyal": "忠实会员"}.get(
        profile["tier"]["name"], profile["tier"]["name"]
    )
    assert abs(screen.ids.tier_bar.value - _expected_fraction(profile["tier"])) < 1e-6
    assert 0 < screen.ids.tier_bar.value <= 1
    assert screen.ids.points_available.value == f"{profile['points']['available']:,}"
    expiring = profile["points"]["expiring_within_30_days"]
    first = min((u["on"] for u in profile["upcoming"] if u["kind"] == "points_expiry"), default=None)
    assert screen.ids.points_expiring.value == (
        f"{expiring:,}  ({first})" if expiring and first else f"{expiring:,}"
    )
    assert screen.ids.heat.value == f"{profile['heat']['index']}/100"
    # Everything the server worded in English reads in Chinese.
    assert screen.ids.dormancy.text == cjk_wrap(zh_dormancy(profile))
    assert screen.ids.tier_progress.text == cjk_wrap(zh_progress(profile["tier"]))
    tier = profile["tier"]
    if tier["review_on"]:
        review = f"{ZH_TIERS[tier['name']]}将于 {tier['review_on']} 复核：若无新消费，将降为"
        assert screen.ids.tier_review.text == cjk_wrap(review + ZH_TIERS[tier["review_tier"]])
    tags = [ZH_TAGS.get(t["tag"], t["tag"]) for t in profile["tags"]]
    assert sorted(chip.text for chip in screen.ids.tags.children) == sorted(tags)
    assert screen.ids.persona.text == f"画像：{ZH_PERSONAS[profile['persona']['label']]}"
    reasons = screen.ids.persona_reasons.text.split("\n")
    assert len(reasons) == min(len(profile["persona"]["reasons"]), 3)
    for name, text in sentence_labels(screen).items():
        assert english_words(text) == [], f"{name} shows English in Chinese: {text!r}"
    assert len(_suggestions(screen)) == len(phone.state.recommendations) >= 3
    assert [s.title for s in _suggestions(screen)] == [s.name for s in phone.state.recommendations]
    assert len(screen.ids.talking_points.children) == len(phone.state.talking_points) > 0
    assert screen.ids.ask.text == "问推荐助手"
    phone.save_png(shots / "member_zh.png")
    screen.ids.scroll.scroll_y = 0
    phone.save_png(shots / "member_zh_more.png")
    screen.ids.scroll.scroll_y = 1
    phone.set_lang("en")


def test_tier_fraction_is_the_better_of_spend_and_visits() -> None:
    def member(**tier: Any) -> Any:
        return SimpleNamespace(tier=SimpleNamespace(**tier))

    loyal = {"next_tier": "VIP", "window_spend": "2852.00", "spend_needed": "2148.00"}
    assert tier_fraction(member(**loyal, window_visits=8, visits_needed=16)) == pytest.approx(0.5704)
    assert tier_fraction(member(**loyal, window_visits=20, visits_needed=4)) == pytest.approx(20 / 24)
    assert tier_fraction(member(next_tier=None)) == 1.0
    assert tier_fraction(member(next_tier="VIP", progress="…")) is None  # no figures: no bar


def test_the_tier_bar_shows_progress_to_the_next_tier(
    clerk: Phone, shanghai: dict[str, dict[str, Any]]
) -> None:
    profile = shanghai["climbing"]
    screen: MemberScreen = clerk.open_member(profile["id"])
    expected = _expected_fraction(profile["tier"])
    assert 0 < expected < 1
    assert abs(screen.ids.tier_bar.value - expected) < 1e-6
    assert screen.ids.tier_bar.opacity == 1
    # The server's own sentence, with the tier's name as the app shows it ("Loyal" for "loyal").
    assert screen.ids.tier_progress.text.casefold() == profile["tier"]["progress"].casefold()
    clerk.set_lang("zh")
    try:
        assert screen.ids.tier_progress.text == cjk_wrap(zh_progress(profile["tier"]))
        assert abs(screen.ids.tier_bar.value - expected) < 1e-6
    finally:
        clerk.set_lang("en")


def test_the_member_screen_reads_the_servers_english_in_english(clerk: Phone) -> None:
    phone, server = clerk, clerk.server
    screen: MemberScreen = phone.open_member(server.featured_member_id)
    profile = phone.get(f"members/{server.featured_member_id}/profile", server.clerk)
    ids = screen.ids
    assert ids.dormancy.text == profile["dormancy"]["text"]
    assert ids.tier_progress.text.casefold() == profile["tier"]["progress"].casefold()
    assert ids.tier_review.text.casefold() == (profile["tier"]["review"] or "").casefold()
    assert ids.persona_reasons.text == "\n".join(profile["persona"]["reasons"][:3])
    assert sorted(chip.text for chip in ids.tags.children) == sorted(t["tag"] for t in profile["tags"])
    rows = [w.text for w in reversed(ids.benefits.children)]
    for benefit, row in zip(profile["benefits"], rows, strict=True):
        if benefit["available"]:
            assert row == f"✓ {benefit['name']}"
        elif benefit["reason_code"] != "used_up":
            assert row.casefold() == f"{benefit['name']} — {benefit['reason']}".casefold()
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in text) for text in sentence_labels(screen).values())


def test_a_dormant_member_reads_in_chinese(clerk: Phone, shanghai: dict[str, dict[str, Any]]) -> None:
    profile = shanghai["dormant"]
    clerk.set_lang("zh")
    try:
        screen: MemberScreen = clerk.open_member(profile["id"])
        assert screen.ids.dormancy.text == cjk_wrap(zh_dormancy(profile))
        assert "沉睡" in screen.ids.dormancy.text
        for name, text in sentence_labels(screen).items():
            assert english_words(text) == [], f"{name} shows English in Chinese: {text!r}"
    finally:
        clerk.set_lang("en")


def test_sold_is_sent_and_shown(clerk: Phone) -> None:
    phone, server = clerk, clerk.server
    screen: MemberScreen = phone.open_member(server.featured_member_id)
    phone.wait(lambda: len(_suggestions(screen)) > 0, "the suggestions")
    first = _suggestions(screen)[0]
    first.act("sold")
    phone.wait(lambda: phone.state.pending_writes == 0 and not phone.state.busy, "the verdict sent")
    phone.settle()
    first = _suggestions(screen)[0]
    assert first.decided and first.verdict == "Bought it"
    assert phone.state.error is None or "refused" not in phone.state.error


def test_a_dormant_member_gets_the_offer_in_one_tap(
    clerk: Phone, shanghai: dict[str, dict[str, Any]], shots: Path
) -> None:
    phone, server = clerk, clerk.server
    dormant = shanghai["dormant"]["id"]
    screen: MemberScreen = phone.open_member(dormant)
    phone.wait(lambda: phone.state.offer is not None, "an offer for a dormant member")
    phone.settle()
    assert screen._offer_card.parent is not None
    assert screen.ids.offer_text.text == phone.state.offer.text
    assert not screen.ids.issue_offer.disabled
    screen.ids.issue_offer.dispatch("on_release")
    phone.wait(lambda: phone.state.offer_issued is not None, "the offer issued")
    phone.settle()
    code = phone.state.offer_issued["code"]
    assert code and code in screen.ids.offer_issued.text
    assert screen.ids.issue_offer.disabled
    issued = phone.get(f"members/{dormant}/offers", server.admin)
    assert code in [o["code"] for o in issued["items"]]
    phone.save_png(shots / "member_offer.png")
    # The offer is a coupon now: opened again, the member's coupons list it with its expiry.
    phone.controller.open_member(dormant)
    phone.wait(
        lambda: phone.state.member is not None and any(c.code == code for c in phone.state.member.coupons),
        "the issued offer among the member's coupons",
    )
    phone.settle()
    lines = [w.text for w in reversed(screen.ids.coupons.children)]
    assert any(code in line and "expires in" in line for line in lines), lines
    screen.ids.scroll.scroll_to(screen.ids.coupons, animate=False)  # the coupons in the picture
    phone.settle()
    phone.save_png(shots / "member_coupons.png")
