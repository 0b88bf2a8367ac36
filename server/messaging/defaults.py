"""The templates every purpose starts with, in Chinese and English (version 1, made on first use).

Marketing texts end with the opt-out a Chinese carrier requires ("回复TD退订") and the English STOP.
"""

from __future__ import annotations

DEFAULTS: dict[str, dict[str, str]] = {
    "otp": {
        "zh": "【{store_name}】您正在兑换{points}积分（{value}），验证码{code}，{minutes}分钟内有效。"
        "店员不会电话索取验证码。",
        "en": "{store_name}: your code to redeem {points} points ({value}) is {code}. It expires in "
        "{minutes} minutes. Staff will never ask for it by phone.",
    },
    "sign_in_code": {
        "zh": "【{store_name}】您的会员验证码{code}，{minutes}分钟内有效。请勿告诉他人。",
        "en": "{store_name}: your member sign-in code is {code}. It expires in {minutes} minutes. "
        "Do not share it.",
    },
    "birthday": {
        "zh": "【{store_name}】{member_name}，生日快乐！送您{coupon_amount}生日礼券，"
        "到店即可使用。回复TD退订",
        "en": "{store_name}: happy birthday, {member_name}! A {coupon_amount} birthday voucher is waiting "
        "for you in store. Reply STOP to opt out.",
    },
    "birthday_greeting": {
        "zh": "【{store_name}】{member_name}，祝您生日快乐！期待您的光临。回复TD退订",
        "en": "{store_name}: happy birthday, {member_name}! We look forward to seeing you. "
        "Reply STOP to opt out.",
    },
    "tier_change": {
        "zh": "【{store_name}】{member_name}，您的会员等级已由{old_tier}变更为{new_tier}。",
        "en": "{store_name}: {member_name}, your membership tier changed from {old_tier} to {new_tier}.",
    },
    "points_expiry": {
        "zh": "【{store_name}】{member_name}，您有{points}积分将于{expires_on}到期，"
        "请尽快到店使用。回复TD退订",
        "en": "{store_name}: {member_name}, {points} of your points expire on {expires_on}. Use them in "
        "store before then. Reply STOP to opt out.",
    },
    "benefit_expiry": {
        "zh": "【{store_name}】{member_name}，您的{benefit_name}将于{expires_on}到期。回复TD退订",
        "en": "{store_name}: {member_name}, your {benefit_name} expires on {expires_on}. "
        "Reply STOP to opt out.",
    },
    "member_day": {
        "zh": "【{store_name}】{event_date}会员日，{member_name}专享礼遇，期待您的光临。回复TD退订",
        "en": "{store_name}: members' day on {event_date}, with treats for you, {member_name}. "
        "Reply STOP to opt out.",
    },
    "reactivation": {
        "zh": "【{store_name}】{member_name}，好久不见！送您{coupon_amount}礼券，"
        "{expires_on}前有效。回复TD退订",
        "en": "{store_name}: we miss you, {member_name}! Here is {coupon_amount} off, valid until "
        "{expires_on}. Reply STOP to opt out.",
    },
    "coupon_issued": {
        "zh": "【{store_name}】{member_name}，您获得{coupon_name}：{coupon_value}（券码{coupon_code}），"
        "{expires_on}前有效，结账时出示券码即可使用。",
        "en": "{store_name}: {member_name}, you have a coupon, {coupon_name}: {coupon_value} (code "
        "{coupon_code}), valid until {expires_on}. Show the code at the till.",
    },
    "replenishment": {
        "zh": "【{store_name}】{member_name}，您常用的{product_name}该补货了，欢迎到店选购。回复TD退订",
        "en": "{store_name}: {member_name}, time to stock up on {product_name}? We have it in store. "
        "Reply STOP to opt out.",
    },
    "first_order": {
        "zh": "【{store_name}】{member_name}，欢迎加入！首单可享{coupon_amount}优惠，"
        "结账时出示会员码即可使用。回复TD退订",
        "en": "{store_name}: welcome, {member_name}! {coupon_amount} off your first order: show your member "
        "code at the till. Reply STOP to opt out.",
    },
    "campaign": {
        "zh": "【{store_name}】{text} 回复TD退订",
        "en": "{store_name}: {text} Reply STOP to opt out.",
    },
}
