"""Every word of the member page in Chinese and English, and numbers and dates the way each reads them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

LANGS: Final = ("zh", "en")

TEXTS: Final[dict[str, dict[str, str]]] = {
    "title": {"zh": "会员中心", "en": "Member page"},
    "welcome": {"zh": "欢迎光临{store}", "en": "Welcome to {store}"},
    "join_intro": {
        "zh": "输入手机号，加入会员或登录。无需下载应用。",
        "en": "Enter your phone number to join or sign in. No app needed.",
    },
    "phone": {"zh": "手机号", "en": "Phone number"},
    "send_code": {"zh": "获取验证码", "en": "Send me a code"},
    "code_sent": {
        "zh": "如果该号码可以接收短信，验证码已发送，{minutes}分钟内有效。",
        "en": "If this number can receive texts, a code is on its way. It works for {minutes} minutes.",
    },
    "code": {"zh": "验证码", "en": "One-time code"},
    "continue": {"zh": "继续", "en": "Continue"},
    "other_number": {"zh": "换个号码", "en": "Use another number"},
    "bad_phone": {"zh": "请输入有效的手机号。", "en": "Please enter a valid phone number."},
    "wrong_code": {
        "zh": "验证码不正确，还可以再试{left}次。",
        "en": "That code is not right. {left} tries left.",
    },
    "expired_code": {
        "zh": "验证码已过期或已失效，请重新获取。",
        "en": "This code has expired or can no longer be used. Please ask for a new one.",
    },
    "too_many": {
        "zh": "请求过于频繁，请{minutes}分钟后再试。",
        "en": "Too many tries. Please wait {minutes} minutes and try again.",
    },
    "csrf": {
        "zh": "页面已过期，请返回重新操作。",
        "en": "This page has expired. Please go back and try again.",
    },
    "no_store": {"zh": "找不到这家门店。", "en": "We cannot find this store."},
    "signed_out_notice": {"zh": "请先登录。", "en": "Please sign in first."},
    "join_title": {"zh": "加入会员", "en": "Join"},
    "name": {"zh": "称呼（选填）", "en": "Name (optional)"},
    "birthday": {"zh": "生日（选填）", "en": "Birthday (optional)"},
    "marketing_optin": {
        "zh": "我愿意接收优惠和活动消息：",
        "en": "Send me offers and news by:",
    },
    "service_note": {
        "zh": "加入即表示同意接收积分、优惠券等服务通知。营销消息可随时在会员页关闭。",
        "en": "Joining means we send you service notices (points, coupons). Offers can be turned off "
        "on your member page at any time.",
    },
    "join": {"zh": "加入会员", "en": "Join"},
    "bad_birthday": {"zh": "请输入有效的生日。", "en": "Please enter a valid birthday."},
    "member": {"zh": "会员", "en": "Member"},
    "hello": {"zh": "{name}，您好", "en": "Hello, {name}"},
    "qr_hint": {
        "zh": "结账或进店时向店员出示此码",
        "en": "Show this code at the till or the door",
    },
    "tier": {"zh": "会员等级", "en": "Tier"},
    "top_tier": {"zh": "您已是最高等级", "en": "You are at the top tier"},
    "to_next_spend": {"zh": "再消费{amount}即可升级为{tier}", "en": "{amount} more to {tier}"},
    "to_next_visits": {"zh": "再到店{visits}次即可升级为{tier}", "en": "{visits} more visits to {tier}"},
    "to_next_both": {
        "zh": "再消费{amount}{joiner}到店{visits}次即可升级为{tier}",
        "en": "{amount} more {joiner} {visits} more visits to {tier}",
    },
    "or": {"zh": "或", "en": "or"},
    "and": {"zh": "并", "en": "and"},
    "points": {"zh": "积分", "en": "Points"},
    "points_value": {"zh": "可抵{value}", "en": "Worth {value}"},
    "expiring": {"zh": "{points}积分将于{day}到期", "en": "{points} points expire on {day}"},
    "none_expiring": {"zh": "近30天没有积分到期", "en": "No points expire in the next 30 days"},
    "check_in": {"zh": "每日签到", "en": "Daily check-in"},
    "check_in_button": {"zh": "签到领积分", "en": "Check in for points"},
    "checked_in": {"zh": "签到成功，获得{points}积分！", "en": "Checked in: +{points} points!"},
    "already": {
        "zh": "今天已经签到过了（获得{points}积分），明天再来吧。",
        "en": "Already checked in today (+{points} points). See you tomorrow.",
    },
    "streak": {"zh": "已连续签到{days}天", "en": "{days} days in a row"},
    "coupons": {"zh": "优惠券", "en": "Coupons"},
    "no_coupons": {"zh": "暂无可用优惠券", "en": "No coupons right now"},
    "expires_today": {"zh": "今天到期", "en": "expires today"},
    "expires_in": {"zh": "{days}天后到期", "en": "expires in {days} days"},
    "expires_in_one": {"zh": "明天到期", "en": "expires tomorrow"},
    "code_label": {"zh": "券码", "en": "Code"},
    "benefits": {"zh": "会员权益", "en": "Benefits"},
    "no_benefits": {"zh": "暂无权益", "en": "No benefits yet"},
    "left": {"zh": "剩余{n}次", "en": "{n} left"},
    "until": {"zh": "有效期至{day}", "en": "until {day}"},
    "not_now": {"zh": "暂不可用", "en": "not available now"},
    "reason_no_birthday": {"zh": "登记生日后可用", "en": "add your birthday in store to use it"},
    "reason_birthday_month": {"zh": "生日当月可用", "en": "in your birthday month"},
    "reason_used_up": {"zh": "本期已用完", "en": "used up for now"},
    "checked_today": {"zh": "今日已签到，获得{points}积分", "en": "Checked in today: +{points} points"},
    "messages": {"zh": "消息设置", "en": "Messages"},
    "messages_intro": {
        "zh": "选择可以通过哪些方式给您发送优惠和活动消息。",
        "en": "Choose how we may send you offers and news.",
    },
    "save": {"zh": "保存", "en": "Save"},
    "saved": {"zh": "已保存。", "en": "Saved."},
    "opt_out": {"zh": "不再接收任何营销消息", "en": "Stop all marketing messages"},
    "opted_out": {
        "zh": "已退订，您将不再收到营销消息。",
        "en": "Done: you will receive no more marketing messages.",
    },
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "language": {"zh": "English", "en": "中文"},
    "channel_sms": {"zh": "短信", "en": "Text message (SMS)"},
    "channel_wechat": {"zh": "微信", "en": "WeChat"},
    "channel_wecom": {"zh": "企业微信（导购）", "en": "WeCom (your consultant)"},
    "channel_push": {"zh": "导购应用通知", "en": "Through your consultant's app"},
    "back": {"zh": "返回", "en": "Back"},
    "door_qr": {"zh": "扫码加入会员", "en": "Scan to join"},
}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` with `values` filled in."""
    text = TEXTS[key][lang if lang in LANGS else "en"]
    return text.format(**values) if values else text


def pick_lang(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then the cookie, then the browser's first zh or en; Chinese when none says."""
    for chosen in (query, cookie):
        if chosen in LANGS:
            return chosen
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def number(lang: str, value: int) -> str:
    """A whole number with thousands separators (both languages group by three)."""
    return f"{value:,}"


def money(lang: str, value: Decimal, currency: str) -> str:
    """An amount with its currency: ¥12.50 style in Chinese, "CNY 12.50" in English."""
    symbol = {"CNY": "¥", "GBP": "£", "USD": "$", "EUR": "€", "HKD": "HK$"}.get(currency)
    amount = f"{value:,.2f}"
    if lang == "zh":
        return f"{symbol}{amount}" if symbol else f"{amount}{currency}"
    return f"{symbol}{amount}" if symbol else f"{currency} {amount}".strip()


def day(lang: str, value: date) -> str:
    """A date: 2026年3月2日 or 2 Mar 2026."""
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value.strftime('%b')} {value.year}"
