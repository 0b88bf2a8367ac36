"""The server's figures worded on the phone: Chinese in Chinese, the server's own English in English."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from mobile_app.api.wire import Benefit, Persona, PersonaEvidence, Task, Tier
from mobile_app.state import phrases
from mobile_app.state.i18n_phrases import EN, ZH

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def tier(**fields: Any) -> Tier:
    d = {"name": "growing", "next_tier": "loyal", "progress": "", "review": None, "spend_needed": "100.00"}
    d |= {"visits_needed": 7, "window_spend": "1900.00", "window_visits": 3, "window_days": 365}
    d |= {"qualify": "spend_or_visits", "review_on": None, "review_tier": None}
    return Tier(**(d | fields))


def task(kind: str, **fields: Any) -> Task:
    return Task(kind, 1, "王芳", "VIP", "the server's sentence", None, "ref:1", **fields)


@pytest.mark.parametrize(
    ("fields", "en", "zh"),
    [
        ({}, "100.00 more or 7 more visits to Loyal", "再消费 100.00 或再到店 7 次，即可升至忠实会员"),
        ({"visits_needed": 0}, "100.00 more to Loyal", "再消费 100.00，即可升至忠实会员"),
        (
            {"spend_needed": "0.00", "visits_needed": 1},
            "1 more visit to Loyal",
            "再到店 1 次，即可升至忠实会员",
        ),
        (
            {"qualify": "spend_and_visits"},
            "100.00 more and 7 more visits to Loyal",
            "再消费 100.00 并再到店 7 次，即可升至忠实会员",
        ),
        ({"spend_needed": "0.00", "visits_needed": 0}, "nothing more to Loyal", "已满足忠实会员的条件"),
        (
            {"name": "VIP", "next_tier": None, "spend_needed": "0.00"},
            "VIP is the top tier",
            "VIP已是最高等级",
        ),
        (
            {"next_tier": "Platinum", "visits_needed": 0},
            "100.00 more to Platinum",
            "再消费 100.00，即可升至Platinum",
        ),
    ],
)
def test_tier_progress(fields: dict[str, Any], en: str, zh: str) -> None:
    assert phrases.tier_progress(tier(**fields), "en") == en
    assert phrases.tier_progress(tier(**fields), "zh") == zh


def test_tier_review_and_an_older_server_without_figures() -> None:
    vip = tier(name="VIP", next_tier=None, review_on=date(2027, 1, 30), review_tier="loyal")
    assert (
        phrases.tier_review(vip, "en")
        == "VIP is reviewed on 2027-01-30: without new purchases it becomes Loyal"
    )
    assert phrases.tier_review(vip, "zh") == "VIP将于 2027-01-30 复核：若无新消费，将降为忠实会员"
    assert phrases.tier_review(tier(), "zh") == ""
    old = tier(spend_needed="", progress="100.00 more to loyal", review="loyal is reviewed on …")
    assert phrases.tier_progress(old, "zh") == "100.00 more to loyal"  # nothing to word it from
    assert phrases.tier_review(old, "zh") == "loyal is reviewed on …"


@pytest.mark.parametrize(
    ("status", "days", "en", "zh"),
    [
        (
            "dormant",
            410,
            "dormant: last purchase 410 days ago (2025-10-09)",
            "沉睡：上次购买在 410 天前（2025-10-09）",
        ),
        (
            "at_risk",
            1,
            "at risk: last purchase 1 day ago (2025-10-09)",
            "有流失风险：上次购买在 1 天前（2025-10-09）",
        ),
        (
            "active",
            0,
            "active: last purchase 0 days ago (2025-10-09)",
            "活跃：上次购买在 0 天前（2025-10-09）",
        ),
        ("never_purchased", None, "no purchase yet", "尚无购买"),
        ("hibernating", 3, "as the server said", "as the server said"),
    ],
)
def test_dormancy(status: str, days: int | None, en: str, zh: str) -> None:
    last = date(2025, 10, 9)
    assert phrases.dormancy(status, days, last, "en", "as the server said") == en
    assert phrases.dormancy(status, days, last, "zh", "as the server said") == zh


def test_persona_reasons_in_both_languages_and_unknown_evidence_keeps_the_servers_sentence() -> None:
    evidence = [
        PersonaEvidence("weak_signal", 0.12, 0.5, "novelty-seeking"),
        PersonaEvidence("new_product_share", 0.1, None, None),
        PersonaEvidence("categories", 3, None, None),
        PersonaEvidence("loyalty_to_brand", 0.9, None, None),
    ]
    server = [
        "strongest signal novelty-seeking at 0.12, below 0.5",
        "10% of spend went on products in their first 60 days",
        "bought from 3 categories",
        "loves the brand",
    ]
    persona = Persona("balanced", server, evidence)
    assert phrases.persona_reasons(persona, "en") == server
    assert phrases.persona_reasons(persona, "zh") == [
        "最强信号为尝鲜型（0.12），低于 0.5",
        "10%的消费用于上市 60 天内的新品",
        "购买过 3 个品类",
        "loves the brand",
    ]
    few = Persona("not enough history", [], [PersonaEvidence("purchases", 1, 3, None)])
    assert phrases.persona_reasons(few, "en") == ["1 purchase in the last year; 3 needed"]
    assert phrases.persona_reasons(few, "zh") == ["近一年购买 1 次，至少需要 3 次"]
    price = PersonaEvidence("price_index", None, None, None)
    assert phrases.evidence(price, "zh") == "没有可比较的标价"


def test_names_built_in_are_translated_and_a_chains_own_are_kept() -> None:
    assert (
        phrases.tier_name("loyal", "zh") == "忠实会员" and phrases.tier_name("Platinum", "zh") == "Platinum"
    )
    assert phrases.label("tag", "high value", "zh") == "高价值"
    assert phrases.label("tag", "tea lover", "zh") == "tea lover"
    assert phrases.label("persona", "price-sensitive", "zh") == "价格敏感型"
    assert phrases.benefit_name("free_wrapping", "Free gift wrapping", "zh") == "免费礼品包装"
    assert phrases.benefit_name("free_wrapping", "Gift box", "zh") == "Gift box"  # renamed by the chain


def _benefit(code: str, reason_code: str, **fields: Any) -> Benefit:
    d = {"available": False, "reason": "server", "remaining": 0, "valid_until": None}
    d |= {"tiers": ["loyal", "VIP"], "quota": 12}
    return Benefit(code, "x", reason=d.pop("reason"), reason_code=reason_code, **(d | fields))


@pytest.mark.parametrize(
    ("benefit", "birthday", "en", "zh"),
    [
        (_benefit("free_wrapping", "not_for_tier"), None, "for Loyal, VIP members", "仅限忠实会员、VIP"),
        (_benefit("birthday_discount", "birthday_month"), date(1990, 7, 14), "valid in July", "7月可用"),
        (_benefit("birthday_discount", "no_birthday"), None, "no birthday on file", "未登记生日"),
        (_benefit("free_wrapping", "used_up"), None, "all 12 used this period", "本期 12 次已用完"),
        (
            _benefit("free_wrapping", "left", remaining=3, valid_until=date(2026, 12, 31)),
            None,
            "3 of 12 left until 2026-12-31",
            "剩余 3/12 次，有效期至 2026-12-31",
        ),
        (_benefit("free_wrapping", "something_new"), None, "server", "server"),
    ],
)
def test_benefit_reasons(benefit: Benefit, birthday: date | None, en: str, zh: str) -> None:
    assert phrases.benefit_reason(benefit, birthday, "en") == en
    assert phrases.benefit_reason(benefit, birthday, "zh") == zh


@pytest.mark.parametrize(
    ("item", "en", "zh"),
    [
        (
            task("client", position="primary", days_since_last_purchase=200, dormant=True),
            "Primary client; dormant, no purchase for 200 days",
            "主要客户；已沉睡，200 天未购买",
        ),
        (
            task("client", position="secondary", days_since_last_purchase=1),
            "Secondary client; last purchase 1 day ago",
            "次要客户；上次购买在 1 天前",
        ),
        (task("client", position="primary"), "Primary client; no purchase yet", "主要客户；尚无购买"),
        (
            task("dormant", days_since_last_purchase=250, days_since_contact=40),
            "No purchase for 250 days; last contact 40 days ago",
            "已 250 天未购买；上次联系在 40 天前",
        ),
        (
            task("dormant", days_since_last_purchase=200),
            "No purchase for 200 days; no contact on record",
            "已 200 天未购买；没有联系记录",
        ),
        (
            task(
                "follow_up",
                channel="face_to_face",
                contact_on=date(2026, 7, 26),
                contact_by="张伟",
                note="喜欢桂花香味",
                due_in_days=-109,
            ),
            "Follow-up to a face-to-face talk on 2026-07-26 by 张伟: 喜欢桂花香味 (overdue by 109 days)",
            "跟进 2026-07-26 的面谈（张伟 记录）：喜欢桂花香味（已逾期 109 天）",
        ),
        (
            task("follow_up", channel="call", contact_on=date(2026, 8, 10), note="", due_in_days=0),
            "Follow-up to a call on 2026-08-10 (due today)",
            "跟进 2026-08-10 的电话（今天到期）",
        ),
        (
            task("follow_up", channel="wechat", contact_on=date(2026, 8, 10), due_in_days=3),
            "Follow-up to a WeChat message on 2026-08-10 (due in 3 days)",
            "跟进 2026-08-10 的微信消息（3 天后到期）",
        ),
        (
            task("heat_alert", data={"weekly": [60, 50, 40], "week_end": "2025-02-23"}),
            "Heat index fell two weeks running: 60 → 50 → 40 (week ending 2025-02-23)",
            "热度指数连续两周下降：60 → 50 → 40（截至 2025-02-23 的一周）",
        ),
        (
            task("tier_change", data={"from": "loyal", "to": "VIP", "trigger": "purchase"}),
            "Tier changed from Loyal to VIP",
            "会员等级由忠实会员变为VIP",
        ),
        (
            task("points_expiring", data={"points": 903, "first_expiry": "2026-12-12"}),
            "903 points expire from 2026-12-12",
            "903 积分将于 2026-12-12 起到期",
        ),
        (
            task(
                "benefit_expiring",
                data={"benefit": "free_wrapping", "remaining": 2, "expires_on": "2026-12-31"},
            ),
            "Free gift wrapping: 2 left, expiring 2026-12-31",
            "免费礼品包装：剩余 2 次，2026-12-31 到期",
        ),
        (task("heat_alert"), "the server's sentence", "the server's sentence"),
        (task("birthday_call", data={"on": "2026-01-01"}), "the server's sentence", "the server's sentence"),
    ],
)
def test_task_reasons(item: Task, en: str, zh: str) -> None:
    assert phrases.task_reason(item, "en") == en
    assert phrases.task_reason(item, "zh") == zh


def test_the_chinese_phrases_hold_no_english_words() -> None:
    assert EN.keys() == ZH.keys()
    for key, text in ZH.items():
        assert LATIN_WORD.findall(re.sub(r"\{[a-z_]+\}", "", text)) == [], (key, text)
