"""The clerk's sentences count in English ('1 day ago', '3 days ago'); Chinese does not change with n."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

from models.i18n import TEMPLATES, counted, say

TEXT = {"item": "tea", "anchor": "teapot", "date": "1 Mar", "next_tier": "Gold", "amount": "£5",
        "what": "tea", "why": "no sign", "discount_zh": "8折", "category": "tea", "recipient": "her",
        "words": "coffee", "price": "£5"}  # fmt: skip
# A count said with its noun in English reads wrong as "1 days", "1 points" ...; these are those nouns.
PLURAL_AFTER_ONE = re.compile(r"\b1 (days|points|coupons|transactions|members)\b")


def facts(key: str, lang: str, n: int) -> dict[str, object]:
    """Every fact the template names: the words above, and `n` for each number."""
    names = {f.split(":")[0] for _, f, _, _ in string.Formatter().parse(TEMPLATES[key][lang]) if f}
    return {name: TEXT.get(name, n) for name in names}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_no_english_sentence_says_1_days(key: str) -> None:
    one = say(key, "en", **facts(key, "en", 1))
    assert not PLURAL_AFTER_ONE.search(one), one
    assert "1 day" not in say(key, "en", **facts(key, "en", 3))


@pytest.mark.parametrize(
    ("key", "n", "sentence"),
    [
        ("replenish_soon", 1, "Usually buys the tea every ~1 day; last bought 1 day ago — due in 1 day."),
        ("replenish_soon", 3, "Usually buys the tea every ~3 days; last bought 3 days ago — due in 3 days."),
        ("points_expiring", 1, "1 point expires on 1 Mar, in 1 day."),
        ("points_expiring", 40, "40 points expire on 1 Mar, in 40 days."),
        ("birthday_soon", 1, "Birthday in 1 day (1 Mar)."),
        ("similar_to", 0, "Similar to the teapot they bought 0 days ago."),
        ("why_coupon_rate", 1, "redeemed 1 of 1 coupon (1%)"),
        ("why_coupon_rate", 2, "redeemed 2 of 2 coupons (2%)"),
        ("why_long_dormant", 180, "away over 180 days"),
    ],
)
def test_english_counts(key: str, n: int, sentence: str) -> None:
    assert say(key, "en", **facts(key, "en", n)) == sentence


@pytest.mark.parametrize(
    ("key", "n", "sentence"),
    [
        ("points_expiring", 1, "1积分将于1 Mar到期，还剩1天。"),
        ("points_expiring", 40, "40积分将于1 Mar到期，还剩40天。"),
        ("replenish_due", 1, "通常每1天左右买一次tea，上次购买是1天前——该补货了。"),
    ],
)
def test_chinese_is_unchanged(key: str, n: int, sentence: str) -> None:
    assert say(key, "zh", **facts(key, "zh", n)) == sentence


def test_numbers_from_numpy_count_too() -> None:
    assert (
        say("similar_to", "en", anchor="teapot", since=np.int64(1))
        == "Similar to the teapot they bought 1 day ago."
    )


def test_counted() -> None:
    assert counted(1, "day") == "1 day" and counted(2, "day") == "2 days" and counted(0, "day") == "0 days"
    assert counted(1, "point expires", "points expire") == "1 point expires"
    assert counted(5, "point expires", "points expire") == "5 points expire"
