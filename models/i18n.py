"""What the clerk says, in English and Chinese: sentence templates filled only with the facts passed in.

Every sentence a clerk reads out comes from `say(key, lang, **facts)`; a template names each fact it
uses, so a missing fact is an error (KeyError) rather than an invented one. An English template counts
with the fact's format: "{since:day}" reads "1 day" or "3 days", "{points:point expires|points expire}"
"1 point expires" (`counted`); Chinese needs no such rule, its sentences do not change with the count.
"""

from __future__ import annotations

import datetime as dt
import numbers

LANGS = ("en", "zh")

TEMPLATES: dict[str, dict[str, str]] = {
    # Replenish / repeat
    "replenish_due": {
        "en": "Usually buys the {item} every ~{cycle:day}; last bought {since:day} ago — due now.",
        "zh": "通常每{cycle}天左右买一次{item}，上次购买是{since}天前——该补货了。",
    },
    "replenish_soon": {
        "en": "Usually buys the {item} every ~{cycle:day}; last bought {since:day} ago — due in "
        "{due_in:day}.",
        "zh": "通常每{cycle}天左右买一次{item}，上次购买是{since}天前——约{due_in}天后该补货。",
    },
    "replenish_typical": {
        "en": "Bought the {item} once, {since:day} ago; customers usually rebuy it every ~{cycle:day}.",
        "zh": "{since}天前买过一次{item}，顾客通常约每{cycle}天回购一次。",
    },
    "bought_before": {
        "en": "Bought the {item} {since:day} ago.",
        "zh": "{since}天前买过{item}。",
    },
    # Cross-sell / explore
    "similar_members": {
        "en": "Members who buy what they buy often choose it.",
        "zh": "购物习惯相似的会员常买这件。",
    },
    "together_with": {
        "en": "Often bought together with the {anchor} they bought {since:day} ago.",
        "zh": "常与TA {since}天前买的{anchor}一起购买。",
    },
    "similar_to": {
        "en": "Similar to the {anchor} they bought {since:day} ago.",
        "zh": "与TA {since}天前买的{anchor}相似。",
    },
    "matching_new": {
        "en": "Bought the {anchor} {since:day} ago; the matching {item} is new this week.",
        "zh": "{since}天前买了{anchor}，配套的{item}本周新到。",
    },
    # Cold start: best-sellers and trending items (models.popularity)
    "popular_store": {
        "en": "One of this store's best-sellers {period}.",
        "zh": "本店{period}最畅销的商品之一。",
    },
    "popular_store_in": {
        "en": "One of this store's best-sellers in {category} {period}.",
        "zh": "本店{period}最畅销的{category}之一。",
    },
    "popular_chain": {
        "en": "One of our best-sellers across all stores {period}.",
        "zh": "全部门店{period}最畅销的商品之一。",
    },
    "popular_chain_in": {
        "en": "One of our best-sellers in {category} across all stores {period}.",
        "zh": "全部门店{period}最畅销的{category}之一。",
    },
    "popular_days": {"en": "over the last {days:day}", "zh": "近{days}天"},
    "trending_store": {
        "en": "Trending here: sales up lately ({recent:sale|sales} in the last 30 days, {before} in the 30 "
        "before).",
        "zh": "最近很受欢迎，销量上升（近30天卖出{recent}笔，之前30天{before}笔）。",
    },
    "trending_store_in": {
        "en": "Trending in {category} here: sales up lately ({recent:sale|sales} in the last 30 days, "
        "{before} in the 30 before).",
        "zh": "最近在{category}里很受欢迎，销量上升（近30天卖出{recent}笔，之前30天{before}笔）。",
    },
    "trending_chain": {
        "en": "Trending across our stores: sales up lately ({recent:sale|sales} in the last 30 days, "
        "{before} in the 30 before).",
        "zh": "各门店最近都很受欢迎，销量上升（近30天卖出{recent}笔，之前30天{before}笔）。",
    },
    "trending_chain_in": {
        "en": "Trending in {category} across our stores: sales up lately ({recent:sale|sales} in the last "
        "30 days, {before} in the 30 before).",
        "zh": "各门店{category}里最近很受欢迎，销量上升（近30天卖出{recent}笔，之前30天{before}笔）。",
    },
    # Talking points
    "birthday_today": {"en": "Birthday today ({date}).", "zh": "今天（{date}）是TA的生日。"},
    "birthday_soon": {"en": "Birthday in {days:day} ({date}).", "zh": "{days}天后（{date}）是TA的生日。"},
    "coupon_expires_today": {
        "en": "Their coupon “{name}” expires today: remind them to use it.",
        "zh": "TA的“{name}”今天到期，提醒TA使用。",
    },
    "coupon_expiring": {
        "en": "Their coupon “{name}” expires in {days:day} ({date}).",
        "zh": "TA的“{name}”{days}天后（{date}）到期。",
    },
    "tier_close": {
        "en": "Only {amount} more spend to reach {next_tier}.",
        "zh": "再消费{amount}即可升级为{next_tier}。",
    },
    "points_expiring": {
        "en": "{points:point expires|points expire} on {date}, in {days:day}.",
        "zh": "{points}积分将于{date}到期，还剩{days}天。",
    },
    "new_in_favourite": {
        "en": "New in {category}, a favourite of theirs: the {item}, in store {days:day}.",
        "zh": "TA常买的{category}有新品：{item}，到店{days}天。",
    },
    # Reactivation
    "reactivation_offer": {
        "en": "Last visit {since:day} ago; offer {percent}% off {what} ({why}).",
        "zh": "上次到店是{since}天前；可提供{what}{discount_zh}优惠（{why}）。",
    },
    "why_coupon_rate": {
        "en": "redeemed {redeemed} of {offered:coupon} ({rate}%)",
        "zh": "{offered}张优惠券用了{redeemed}张（{rate}%）",
    },
    "why_discount_share": {
        "en": "{share}% of purchases were discounted",
        "zh": "{share}%的购买是折扣商品",
    },
    "why_price_below": {
        "en": "pays {gap}% below the category median",
        "zh": "购买价格比品类中位价低{gap}%",
    },
    "why_price_above": {
        "en": "pays {gap}% above the category median",
        "zh": "购买价格比品类中位价高{gap}%",
    },
    "why_long_dormant": {
        "en": "away over {days:day}",
        "zh": "已超过{days}天未到店",
    },
    "why_no_signal": {
        "en": "no sign of price sensitivity on file",
        "zh": "记录中未见价格敏感迹象",
    },
    # Conversation
    "chat_price_under": {"en": "under {amount}", "zh": "{amount}以内"},
    "chat_price_over": {"en": "over {amount}", "zh": "{amount}以上"},
    "chat_like": {"en": "like the {anchor}", "zh": "类似{anchor}"},
    "chat_category": {"en": "in {category}", "zh": "属于{category}"},
    "chat_gift": {"en": "a gift idea for {recipient}", "zh": "适合送{recipient}"},
    "chat_gift_any": {"en": "a gift idea", "zh": "适合送礼"},
    "chat_taste": {"en": "close to what they usually buy", "zh": "接近TA平时的喜好"},
    "chat_item": {"en": "{item}, {price}: {why}.", "zh": "{item}，{price}：{why}。"},
    "chat_item_plain": {"en": "{item}, {price}.", "zh": "{item}，{price}。"},
    "chat_not_carried": {
        "en": "The catalog has nothing for “{words}”.",
        "zh": "目录中没有“{words}”相关的商品。",
    },
    "chat_nothing": {
        "en": "Nothing in the catalog matches all of that; try loosening a limit.",
        "zh": "目录中没有同时满足这些条件的商品，可以放宽一点条件。",
    },
}

# Separators between reason parts.
JOIN = {"en": "; ", "zh": "；"}
LIST_JOIN = {"en": ", ", "zh": "、"}

RECIPIENTS: dict[str, dict[str, str]] = {
    "mother": {"en": "her mother", "zh": "妈妈"},
    "father": {"en": "his father", "zh": "爸爸"},
    "wife": {"en": "a wife", "zh": "妻子"},
    "husband": {"en": "a husband", "zh": "丈夫"},
    "partner": {"en": "a partner", "zh": "爱人"},
    "child": {"en": "a child", "zh": "孩子"},
    "friend": {"en": "a friend", "zh": "朋友"},
    "sibling": {"en": "a sibling", "zh": "兄弟姐妹"},
    "grandparent": {"en": "a grandparent", "zh": "长辈"},
    "colleague": {"en": "a colleague", "zh": "同事"},
    "her": {"en": "her", "zh": "她"},
    "him": {"en": "him", "zh": "他"},
}


def resolve_lang(lang: str | None, locale: str | None = None) -> str:
    """The template language for an explicit choice or a locale ("zh-CN", "zh_Hant" -> "zh"; else "en")."""
    for choice in (lang, locale):
        if choice:
            base = choice.replace("_", "-").split("-", 1)[0].strip().lower()
            if base not in LANGS:
                if choice is lang:
                    raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
                return "en"
            return base
    return "en"


def counted(n: int, one: str, other: str | None = None) -> str:
    """'N ONE' when n is 1, else 'N OTHER' (ONE + 's' if OTHER is not given): counted(1, "day") is '1 day'.

    The server's rule (server/core/words.py) for this library's own words, which import no server code.
    """
    return f"{n} {one if n == 1 else (other if other is not None else one + 's')}"


class _Count:
    """A whole-number fact: "{n}" is the number, "{n:day}" and "{n:point expires|points expire}" count."""

    def __init__(self, n: numbers.Integral) -> None:
        self.n = n

    def __format__(self, spec: str) -> str:
        if not spec or not spec[0].isalpha():
            return format(self.n, spec)
        one, _, other = spec.partition("|")
        return counted(int(self.n), one, other or None)


def say(key: str, lang: str, **facts: object) -> str:
    """The sentence `key` in `lang`, filled with `facts` (KeyError if a fact it needs is missing)."""
    try:
        template = TEMPLATES[key][lang]
    except KeyError:
        raise KeyError(f"no template {key!r} in language {lang!r}") from None
    return template.format(**{name: _count(value) for name, value in facts.items()})


def _count(value: object) -> object:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return _Count(value)
    return value


def money(amount: float, currency: str) -> str:
    """A price as the clerk reads it: "£12.50", or "£12" for a whole amount."""
    whole = abs(amount - round(amount)) < 0.005
    return f"{currency}{amount:.0f}" if whole else f"{currency}{amount:.2f}"


def day_text(day: dt.date, lang: str) -> str:
    """A date as the clerk reads it: "14 Mar" in English, "3月14日" in Chinese."""
    if lang == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {day:%b}"


def discount_zh(percent: int) -> str:
    """A percent-off discount in the Chinese retail way: 20% off is "8折", 15% off is "85折"."""
    paid = 100 - percent
    return f"{paid // 10}折" if paid % 10 == 0 else f"{paid}折"


def recipient_text(recipient: str, lang: str) -> str:
    """How the clerk names a gift's recipient."""
    return RECIPIENTS.get(recipient, {}).get(lang, recipient)


def join_parts(parts: list[str], lang: str) -> str:
    """Reason fragments joined the way each language separates clauses."""
    return JOIN[lang].join(p for p in parts if p)


def join_list(parts: list[str], lang: str) -> str:
    """A short enumeration ("candles, lanterns" / "蜡烛、灯笼")."""
    return LIST_JOIN[lang].join(parts)
