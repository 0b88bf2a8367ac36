"""A realistic demo store as plain data: pure functions of a seed and a moment, no database.

`generate_demo(seed, now)` returns the chain's stores, ~300 products in Chinese and English, ~2,000
members and two years of their purchases ending at `now`. The same seed and moment give the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server.demo.catalog_data import CATEGORIES, ITEMS, Category
from server.demo.identities import card_number, cn_mobile, uk_mobile
from server.demo.people_data import (
    CHANNELS,
    EN_FEMALE,
    EN_MALE,
    EN_SURNAMES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    NOTES_EN,
    NOTES_ZH,
    PINYIN_GIVEN,
    PINYIN_SURNAMES,
    STAFF_NAMES,
    STORES,
    SURNAMES,
    DemoStore,
)

DEFAULT_SEED = 20240101
HISTORY_DAYS = 730
# Generated members' card serials start here, far above any imported customer number.
CARD_SERIAL_BASE = 500_000_000
# The member the demo prints first and the phone-app tests look up: 王芳 of Shanghai Jing'an.
FEATURED_MEMBER_NAME = "王芳"
FEATURED_MEMBER_CARD = card_number(CARD_SERIAL_BASE + 1)
REF_PREFIX = "demo"
PERSONAS = {"regular": 0.30, "occasional": 0.35, "lapsed": 0.22, "big_spender": 0.03, "new": 0.10}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class GenProduct:
    """A catalog product; `price` in CNY, `price_gbp` on London's shelf."""

    sku: str
    name: str
    name_en: str
    category: str
    price: Decimal  # CNY, the chain's home currency
    price_gbp: Decimal
    attributes: dict[str, Any]
    season: str | None
    first_seen: date


@dataclass(frozen=True)
class GenMember:
    """A member with the persona that drives their visits and the categories they favour."""

    key: str
    name: str
    gender: str
    birthday: date | None
    joined_on: date
    consent: bool
    locale: str
    store: int
    phone: str  # E.164
    card: str
    qr: str
    persona: str
    favourites: tuple[str, ...]


@dataclass(frozen=True)
class GenLine:
    """A receipt line; a return line has a negative quantity and points at the line it takes back."""

    product: int
    quantity: int
    unit_price: Decimal
    amount: Decimal  # quantity x unit price less the discount
    discount: Decimal
    original: tuple[int, int] | None = None  # (transaction, line index) a return line takes back


@dataclass(frozen=True)
class GenTransaction:
    """A receipt; lines, members and originals are indexes into the demo's tuples."""

    key: str
    store: int
    member: int | None
    occurred_at: datetime
    kind: str
    lines: tuple[GenLine, ...]
    discount: Decimal
    total: Decimal
    coupon: str | None = None
    original: int | None = None


@dataclass(frozen=True)
class GenInteraction:
    """A staff note about a member."""

    key: str
    member: int
    store: int
    author: str  # which of the store's demo staff wrote it: manager, clerk1, clerk2, vip
    channel: str
    note: str
    occurred_at: datetime
    follow_up_on: date | None


@dataclass(frozen=True)
class DemoData:
    """Everything `generate_demo` makes, in the order it must be written."""

    seed: int
    now: datetime
    stores: tuple[DemoStore, ...]
    products: tuple[GenProduct, ...]
    members: tuple[GenMember, ...]
    transactions: tuple[GenTransaction, ...]
    interactions: tuple[GenInteraction, ...]


def retail_price(rng: random.Random, low: int, high: int, position: float | None = None) -> Decimal:
    """A CNY shelf price in [low, high] ending in 9 (or 8 above 100), the way the chain prices."""
    share = rng.random() if position is None else min(1.0, max(0.0, position + rng.uniform(-0.1, 0.1)))
    raw = low + (high - low) * share
    if raw < 20:
        return Decimal(max(9, round(raw / 5) * 5 - 1))
    step = 10 if raw < 300 else 50
    ending = 1 if raw < 100 or rng.random() < 0.7 else 2
    return Decimal(max(low, int(round(raw / step)) * step - ending))


def gbp_price(cny: Decimal) -> Decimal:
    """The London shelf price of a CNY price: about one ninth, ending in .50 or .95."""
    pounds = float(cny) / 9
    whole = int(pounds)
    ending = Decimal("0.50") if pounds - whole < 0.5 else Decimal("0.95")
    return max(Decimal("1.95"), Decimal(whole) + ending)


def generate_catalog(rng: random.Random, start: date) -> tuple[GenProduct, ...]:
    """About 300 gift and homeware products, each a category item in one colour/scent/material/size."""
    products: list[GenProduct] = []
    for category in CATEGORIES:
        items, variants = ITEMS[category.key]
        combos = [(i, v) for i in range(len(items)) for v in range(len(variants))]
        rng.shuffle(combos)
        for number, (i, v) in enumerate(sorted(combos[: category.target]), start=1):
            item, variant = items[i], variants[v]
            sized = variant.attribute == "size"
            price = retail_price(rng, item.low, item.high, v / (len(variants) - 1) if sized else None)
            name_zh = f"{item.zh}（{variant.zh}）" if sized else f"{variant.zh}{item.zh}"
            name_en = f"{item.en}, {variant.en}" if sized else f"{variant.en} {item.en}"
            attributes: dict[str, Any] = {
                variant.attribute: variant.value,
                "gbp_price": str(gbp_price(price)),
            }
            if item.season:
                attributes["season"] = item.season
            launched = (
                start if rng.random() < 0.8 else start + timedelta(days=rng.randint(30, HISTORY_DAYS - 30))
            )
            products.append(
                GenProduct(
                    sku=f"DM-{category.key[:3].upper()}-{number:03d}",
                    name=name_zh,
                    name_en=name_en,
                    category=category.key,
                    price=price,
                    price_gbp=gbp_price(price),
                    attributes=attributes,
                    season=item.season,
                    first_seen=launched,
                )
            )
    return tuple(products)


def _pick_store(rng: random.Random) -> int:
    return rng.choices(range(len(STORES)), weights=[s.share for s in STORES])[0]


def _member_name(rng: random.Random, store: DemoStore, gender: str) -> tuple[str, str]:
    """A name and the member's language: Chinese in China; in London mostly English."""
    female = gender == "female" or (gender == "unknown" and rng.random() < 0.5)
    if store.language == "zh":
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        return rng.choice(SURNAMES) + given, "zh"
    roll = rng.random()
    if roll < 0.12:  # Chinese visitors and students who give their name in characters
        return rng.choice(SURNAMES) + rng.choice(GIVEN_FEMALE if female else GIVEN_MALE), "zh"
    if roll < 0.2:
        return f"{rng.choice(PINYIN_GIVEN)} {rng.choice(PINYIN_SURNAMES)}", "en"
    return f"{rng.choice(EN_FEMALE if female else EN_MALE)} {rng.choice(EN_SURNAMES)}", "en"


def _favourites(rng: random.Random, persona: str) -> tuple[str, ...]:
    pool: list[Category] = [c for c in CATEGORIES if c.key != "seasonal"]
    count = 3 if persona == "big_spender" else rng.choice((1, 2, 2, 3))
    chosen: list[str] = []
    while len(chosen) < count:
        key = rng.choices(pool, weights=[c.popularity for c in pool])[0].key
        if key not in chosen:
            chosen.append(key)
    return tuple(chosen)


def generate_members(rng: random.Random, count: int, today: date) -> tuple[GenMember, ...]:
    """`count` members across the chain's stores; the first is always 王芳 of Shanghai, a regular."""
    members: list[GenMember] = []
    for index in range(count):
        persona = rng.choices(list(PERSONAS), weights=list(PERSONAS.values()))[0]
        store = _pick_store(rng)
        gender = rng.choices(("female", "male", "unknown"), weights=(68, 28, 4))[0]
        name, locale = _member_name(rng, STORES[store], gender)
        favourites = _favourites(rng, persona)
        if index == 0:
            persona, store, gender, name, locale = "regular", 0, "female", FEATURED_MEMBER_NAME, "zh"
            favourites = ("candles", "tea", "ceramics")
        earliest, latest = {"new": (5, 120), "lapsed": (420, 1900)}.get(persona, (60, 1900))
        if index == 0:
            earliest = latest = 1461
        born = None
        if rng.random() < 0.88:
            born = date(today.year - rng.randint(20, 66), rng.randint(1, 12), rng.randint(1, 28))
        members.append(
            GenMember(
                key=f"{REF_PREFIX}:M{index + 1:05d}",
                name=name,
                gender=gender,
                birthday=born,
                joined_on=today - timedelta(days=rng.randint(earliest, latest)),
                consent=rng.random() < 0.66,
                locale=locale,
                store=store,
                phone=cn_mobile(index + 1) if STORES[store].country == "China" else uk_mobile(3, index + 1),
                card=card_number(CARD_SERIAL_BASE + index + 1),
                qr=f"{rng.getrandbits(128):032x}",
                persona=persona,
                favourites=favourites,
            )
        )
    return tuple(members)


def generate_interactions(
    rng: random.Random,
    stores: tuple[DemoStore, ...],
    members: tuple[GenMember, ...],
    now: datetime,
    count: int = 160,
) -> tuple[GenInteraction, ...]:
    """Staff notes of the last four months about members of the stores that have a demo team."""
    staffed = {i for i, s in enumerate(stores) if s.slug in STAFF_NAMES}
    eligible = [
        i for i, m in enumerate(members) if m.store in staffed and m.persona in ("regular", "big_spender")
    ]
    notes: list[GenInteraction] = []
    for n in range(min(count, len(eligible))):
        m_index = eligible[0] if n == 0 else rng.choice(eligible)
        member = members[m_index]
        at = (now - timedelta(days=rng.uniform(0.5, 120))).replace(microsecond=0)
        author = rng.choices(("vip", "clerk1", "clerk2", "manager"), weights=(55, 15, 15, 15))[0]
        follow_up = (at + timedelta(days=rng.randint(5, 21))).date() if rng.random() < 0.3 else None
        note = rng.choice(NOTES_ZH if member.locale == "zh" else NOTES_EN)
        channel = rng.choice(CHANNELS) if member.locale == "zh" else rng.choice(("call", "face_to_face"))
        key = f"{REF_PREFIX}:I{n + 1:05d}"
        notes.append(GenInteraction(key, m_index, member.store, author, channel, note, at, follow_up))
    return tuple(notes)


def generate_demo(seed: int = DEFAULT_SEED, now: datetime | None = None, members: int = 2000) -> DemoData:
    """The whole demo chain for `seed`, with history ending at `now` (an aware datetime; default: now)."""
    from server.db.base import utcnow
    from server.demo.history import generate_history

    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("generate_demo needs a timezone-aware `now`")
    rng = random.Random(seed)
    today = now.date()
    products = generate_catalog(rng, today - timedelta(days=HISTORY_DAYS))
    people = generate_members(rng, members, today)
    transactions = generate_history(rng, STORES, products, people, now)
    interactions = generate_interactions(rng, STORES, people, now)
    return DemoData(seed, now, STORES, products, people, transactions, interactions)
