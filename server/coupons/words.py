"""A coupon in words, in Chinese or English: its name, what it takes off, and its state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from models.i18n import discount_zh
from server.coupons.pricing import terms_of
from server.db.tables import Coupon
from server.products.categories import category_labels


def name(coupon: Coupon, lang: str) -> str:
    """The coupon's name in `lang` ("zh" or "en")."""
    return coupon.name_zh if lang == "zh" else coupon.name_en


def _amount(value: object) -> str:
    text = f"{value}"
    return text[:-3] if text.endswith(".00") else text


def labels_for(session: Session, coupons: Iterable[Coupon]) -> Mapping[str, Mapping[str, str]]:
    """The catalogue's category names when a coupon is limited to categories (one grouped query), else {}."""
    if any(terms_of(c).categories for c in coupons):
        return category_labels(session)
    return {}


def value(
    coupon: Coupon,
    lang: str,
    gift_name: str | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """What the coupon takes off: "满300减50" / "50 off a spend of 300", "8折" / "20% off", "赠…"."""
    t = terms_of(coupon)
    zh = lang == "zh"
    if t.kind == "amount_off":
        off = _amount(t.amount)
        if t.min_spend:
            text = (
                f"满{_amount(t.min_spend)}减{off}" if zh else f"{off} off a spend of {_amount(t.min_spend)}"
            )
        else:
            text = f"立减{off}" if zh else f"{off} off"
    elif t.kind == "percent_off":
        text = discount_zh(t.percent or 0) if zh else f"{t.percent}% off"
        if t.min_spend:
            text = f"满{_amount(t.min_spend)}享{text}" if zh else f"{text} a spend of {_amount(t.min_spend)}"
    else:
        gift = gift_name or f"#{t.gift_product_id}"
        text = f"赠{gift}" if zh else f"Free {gift}"
    if t.categories:
        # The catalogue's own names (蜡烛香薰, Candles & fragrance), not the keys (candles).
        names = [(labels or {}).get(c, {}).get(lang) or c for c in t.categories]
        text += f"（限{'、'.join(names)}）" if zh else f" on {', '.join(names)}"
    elif t.product_ids:
        text += "（限指定商品）" if zh else " on selected items"
    return text


def status(coupon: Coupon, today: date) -> Literal["open", "used", "expired"]:
    """open, used or expired."""
    if coupon.redeemed_at is not None:
        return "used"
    return "expired" if coupon.valid_until < today else "open"


def how_to_use(lang: str) -> str:
    """The hint the member and the clerk read beside an open coupon."""
    return "结账时出示券码即可使用" if lang == "zh" else "Show the code at the till to use it"
