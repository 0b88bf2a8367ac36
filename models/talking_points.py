"""Talking points and the reactivation offer: short sentences built only from the member's own facts.

Each point carries the facts it used. A fact not on file (no birthday, no tier target, no coupons ever
offered) produces no point and no reason: the clerk is never handed something invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from models.candidates import Fact, ItemIndex, Suggestion, indexed, replenish
from models.catalog import Catalog
from models.i18n import day_text, discount_zh, join_list, join_parts, money, resolve_lang, say
from models.member import MemberFacts, price_sensitivity, top_categories, top_items
from models.purchase_patterns import RepurchaseCycles

NEW_THIS_WEEK_DAYS = 7
# A new arrival is matched against the member's latest distinct purchases only: a wholesale buyer's
# thousands of items made the comparison (new items x bought items x dimensions) a visible part of an
# arrival's time (docs/performance.md), and "matches what you bought three years ago" is weaker anyway.
ANCHOR_ITEMS = 200


@dataclass(frozen=True)
class TalkingPoint:
    """One sentence for the clerk, what kind of point it is, and the facts it was made from."""

    kind: str
    text: str
    facts: dict[str, Fact] = field(default_factory=dict)
    priority: float = 0.0


def next_birthday(birthday: dt.date, today: dt.date) -> dt.date:
    """The next birthday on or after today (29 February falls on 28 February in other years)."""
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = dt.date(year, 2, 28)
        if day >= today:
            return day
    raise AssertionError("unreachable: a birthday recurs within a year")


def _birthday(member: MemberFacts, today: dt.date, lang: str, window: int) -> list[TalkingPoint]:
    if member.birthday is None:
        return []
    day = next_birthday(member.birthday, today)
    days = (day - today).days
    if days > window:
        return []
    facts: dict[str, Fact] = {"birthday": member.birthday.isoformat(), "days_until": days}
    key = "birthday_today" if days == 0 else "birthday_soon"
    return [
        TalkingPoint("birthday", say(key, lang, days=days, date=day_text(day, lang)), facts, 1.0 - days / 100)
    ]


def _points(member: MemberFacts, today: dt.date, lang: str, window: int) -> list[TalkingPoint]:
    points, on = member.points_expiring, member.points_expire_on
    if not points or points <= 0 or on is None or not 0 <= (on - today).days <= window:
        return []
    days = (on - today).days
    facts: dict[str, Fact] = {"points_expiring": points, "expire_on": on.isoformat(), "days_until": days}
    text = say("points_expiring", lang, points=points, date=day_text(on, lang), days=days)
    return [TalkingPoint("points_expiring", text, facts, 0.9)]


def _coupon(member: MemberFacts, today: dt.date, lang: str, window: int) -> list[TalkingPoint]:
    if member.expiring_coupon is None:
        return []
    name_zh, name_en, until = member.expiring_coupon
    days = (until - today).days
    if not 0 <= days <= window:
        return []
    name = name_zh if lang == "zh" else name_en
    facts: dict[str, Fact] = {"coupon": name, "valid_until": until.isoformat(), "days_until": days}
    key = "coupon_expires_today" if days == 0 else "coupon_expiring"
    text = say(key, lang, name=name, days=days, date=day_text(until, lang))
    return [TalkingPoint("coupon_expiring", text, facts, 0.95 - days / 100)]


def _tier(member: MemberFacts, catalog: Catalog, lang: str, gap_max: float) -> list[TalkingPoint]:
    gap, target = member.spend_to_next_tier, member.next_tier
    if gap is None or target is None or not 0 < gap <= gap_max:
        return []
    facts: dict[str, Fact] = {"tier": member.tier or "", "next_tier": target, "spend_to_next_tier": gap}
    text = say("tier_close", lang, amount=money(gap, catalog.currency), next_tier=target)
    return [TalkingPoint("tier_close", text, facts, 0.8)]


def _matching_new(
    member: MemberFacts, catalog: Catalog, index: ItemIndex, today: dt.date, lang: str, min_similarity: float
) -> list[TalkingPoint]:
    """A bought item with a new (this week) item very close to it in the embedding space."""
    new_rows = catalog.arrivals_since(today - dt.timedelta(days=NEW_THIS_WEEK_DAYS - 1))[:500]
    days = member.item_days()
    ids = np.array(sorted(days), dtype=np.int64)
    bought = ids[catalog.rows(ids) >= 0]  # one vectorised look-up: a wholesaler has bought thousands
    last = {int(i): days[int(i)][-1] for i in bought}
    if len(bought) > ANCHOR_ITEMS:
        latest = np.array([last[int(i)].toordinal() for i in bought])
        bought = np.sort(bought[np.lexsort((bought, -latest))[:ANCHOR_ITEMS]])
    new_ids = np.setdiff1d(catalog.ids[new_rows], bought)
    new_ids, bought = new_ids[indexed(index, new_ids)], bought[indexed(index, bought)]
    if len(bought) == 0 or len(new_ids) == 0:
        return []
    sims = np.asarray(index.vectors(new_ids)) @ np.asarray(index.vectors(bought)).T
    n, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
    if sims[n, b] < min_similarity:
        return []
    item, anchor = int(new_ids[n]), int(bought[b])
    since = (today - last[anchor]).days
    anchor_name, name = catalog.name(anchor, lang), catalog.name(item, lang)
    facts: dict[str, Fact] = {
        "anchor_item_id": anchor,
        "anchor_name": anchor_name,
        "anchor_last_bought": last[anchor].isoformat(),
        "anchor_days_since": since,
        "item_id": item,
        "item_name": name,
        "item_first_seen": dt.date.fromordinal(int(catalog.first_seen[catalog.row(item)])).isoformat(),
        "similarity": round(float(sims[n, b]), 3),
    }
    return [
        TalkingPoint(
            "matching_new", say("matching_new", lang, anchor=anchor_name, item=name, since=since), facts, 0.75
        )
    ]


def _new_in_favourites(
    member: MemberFacts, catalog: Catalog, today: dt.date, lang: str, days: int, skip: set[int]
) -> list[TalkingPoint]:
    favourites = [c for c, _ in top_categories(member, catalog, 2)]
    bought = set(member.item_days())
    for r in catalog.arrivals_since(today - dt.timedelta(days=days), favourites):
        item = int(catalog.ids[r])
        if item in bought or item in skip or catalog.first_seen[r] > today.toordinal():
            continue
        category = catalog.categories[catalog.category_codes[r]]
        in_store = today.toordinal() - int(catalog.first_seen[r])
        facts: dict[str, Fact] = {
            "category": category,
            "item_id": item,
            "item_name": catalog.name(item, lang),
            "item_first_seen": dt.date.fromordinal(int(catalog.first_seen[r])).isoformat(),
            "days_in_store": in_store,
        }
        text = say(
            "new_in_favourite",
            lang,
            category=catalog.category_label(category, lang),
            item=facts["item_name"],
            days=in_store,
        )
        return [TalkingPoint("new_in_favourite", text, facts, 0.6)]
    return []


def talking_points(
    member: MemberFacts,
    catalog: Catalog,
    today: dt.date,
    *,
    suggestions: list[Suggestion] | None = None,
    cycles: RepurchaseCycles | None = None,
    index: ItemIndex | None = None,
    lang: str | None = None,
    max_points: int = 4,
    birthday_window_days: int = 14,
    points_window_days: int = 30,
    coupon_window_days: int = 3,
    tier_gap_max: float = 100.0,
    new_arrival_days: int = 14,
    match_min_similarity: float = 0.7,
) -> list[TalkingPoint]:
    """Up to `max_points` sentences for the clerk, most useful first, each grounded in listed facts."""
    lang = resolve_lang(lang, member.locale)
    found = _birthday(member, today, lang, birthday_window_days)
    found += _points(member, today, lang, points_window_days)
    found += _coupon(member, today, lang, coupon_window_days)
    found += _tier(member, catalog, lang, tier_gap_max)
    repeats = [s for s in suggestions if s.kind == "replenish"] if suggestions is not None else None
    if repeats is None:
        repeats = replenish(member, catalog, today, cycles, lang)
    due = [s for s in repeats if s.facts.get("due_in_days") == 0][:1]
    found += [TalkingPoint("replenish_due", s.reason, dict(s.facts), 0.7) for s in due]
    # "Like what they bought" rests on text similarity, which means nothing when the model cannot read
    # the catalogue (models.text_usability turned the index's text weight to 0).
    text_readable = index is not None and float(getattr(index, "text_weight", 1.0)) > 0
    matching = (
        _matching_new(member, catalog, index, today, lang, match_min_similarity)
        if index is not None and text_readable
        else []
    )
    found += matching
    used = {int(p.facts["item_id"]) for p in matching}
    found += _new_in_favourites(member, catalog, today, lang, new_arrival_days, used)
    return sorted(found, key=lambda p: -p.priority)[:max_points]


@dataclass(frozen=True)
class ReactivationOffer:
    """What to offer a dormant member, how deep a discount, and why."""

    discount_percent: int
    categories: tuple[str, ...]
    item_ids: tuple[int, ...]
    text: str
    reasons: tuple[str, ...]
    facts: dict[str, Fact] = field(default_factory=dict)


def _discount(
    member: MemberFacts, catalog: Catalog, since: int, dormant_after: int, lang: str, bounds: tuple[int, int]
) -> tuple[int, list[str], dict[str, Fact]]:
    """Percent off from the price-sensitivity signals on file, rounded to 5 and kept within bounds."""
    ps = price_sensitivity(member, catalog)
    signals: list[float] = []
    reasons: list[str] = []
    facts: dict[str, Fact] = {}
    if ps.coupon_rate is not None:
        rate = round(100 * ps.coupon_rate)
        signals.append(ps.coupon_rate)
        reasons.append(
            say("why_coupon_rate", lang, redeemed=ps.coupons_redeemed, offered=ps.coupons_offered, rate=rate)
        )
        facts["coupon_rate"] = round(ps.coupon_rate, 3)
    if ps.discounted_share is not None and ps.discounted_share > 0:
        reasons.append(say("why_discount_share", lang, share=round(100 * ps.discounted_share)))
    if ps.discounted_share is not None:
        signals.append(ps.discounted_share)
        facts["discounted_share"] = round(ps.discounted_share, 3)
    if ps.price_index is not None:
        gap = round(100 * abs(1 - ps.price_index))
        # Paying half the category median or less reads as fully price-driven; at or above it, not at all.
        signals.append(float(np.clip((1 - ps.price_index) / 0.5, 0, 1)))
        if gap >= 5:
            reasons.append(say("why_price_below" if ps.price_index < 1 else "why_price_above", lang, gap=gap))
        facts["price_index"] = round(ps.price_index, 3)
    low, high = bounds
    sensitivity = float(np.mean(signals)) if signals else 0.0
    raw = low + (high - low) * sensitivity
    if since >= 2 * dormant_after:  # a long absence needs a clearer reason to come back
        raw += 5
        reasons.append(say("why_long_dormant", lang, days=2 * dormant_after))
    if not reasons:
        reasons.append(say("why_no_signal", lang))
    facts["sensitivity"] = round(sensitivity, 3)
    return int(np.clip(5 * round(raw / 5), low, high)), reasons, facts


def reactivation_offer(
    member: MemberFacts,
    catalog: Catalog,
    today: dt.date,
    *,
    dormant_after_days: int = 90,
    lang: str | None = None,
    min_percent: int = 5,
    max_percent: int = 30,
) -> ReactivationOffer | None:
    """An offer for a member with no purchase in `dormant_after_days` (None for an active or new member)."""
    if not 0 < min_percent <= max_percent <= 100 or min_percent % 5 or max_percent % 5:
        raise ValueError("discount bounds must be multiples of 5 with 0 < min <= max <= 100")
    lang = resolve_lang(lang, member.locale)
    since = member.days_since_last_purchase(today)
    if since is None or since < dormant_after_days:
        return None
    categories = tuple(c for c, _ in top_categories(member, catalog, 2))
    if not categories:
        return None
    items = tuple(i for c in categories for i in top_items(member, catalog, c, 2))
    percent, reasons, facts = _discount(
        member, catalog, since, dormant_after_days, lang, (min_percent, max_percent)
    )
    what = join_list([catalog.category_label(c, lang) for c in categories], lang)
    why = join_parts(reasons, lang)
    text = say(
        "reactivation_offer",
        lang,
        since=since,
        percent=percent,
        what=what,
        why=why,
        discount_zh=discount_zh(percent),
    )
    facts.update(
        {"days_since_last_purchase": since, "categories": ",".join(categories), "discount_percent": percent}
    )
    return ReactivationOffer(percent, categories, items, text, tuple(reasons), facts)
