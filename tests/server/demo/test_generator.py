"""The generated demo chain: deterministic for a seed, and shaped like a real store's two years."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from server.core.cards import luhn_digit
from server.core.phone import normalise_phone
from server.demo.catalog_data import CATEGORIES
from server.demo.generator import FEATURED_MEMBER_CARD, FEATURED_MEMBER_NAME, DemoData, generate_demo
from server.demo.seasons import CNY

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo(seed=7, now=NOW)


def test_same_seed_same_store_and_another_seed_another(demo: DemoData) -> None:
    small = generate_demo(seed=7, now=NOW, members=120)
    assert small == generate_demo(seed=7, now=NOW, members=120)
    other = generate_demo(seed=8, now=NOW, members=120)
    assert [m.name for m in other.members] != [m.name for m in small.members]
    assert other.transactions != small.transactions


def test_size_of_the_chain(demo: DemoData) -> None:
    assert 3 <= len(demo.stores) <= 4
    assert {s.currency for s in demo.stores} == {"CNY", "GBP"}
    assert 280 <= len(demo.products) <= 320
    assert len(demo.members) == 2000
    assert len({p.sku for p in demo.products}) == len(demo.products)
    assert len(demo.transactions) > 15_000


def test_two_years_of_history_ending_now(demo: DemoData) -> None:
    times = [t.occurred_at for t in demo.transactions]
    assert min(times) < NOW - timedelta(days=720)
    assert min(times) >= NOW - timedelta(days=731)
    assert max(times) <= NOW
    assert max(times) > NOW - timedelta(days=2)
    assert times == sorted(times)


def test_every_category_sells_in_every_currency(demo: DemoData) -> None:
    sold: dict[str, set[str]] = defaultdict(set)
    for t in demo.transactions:
        for line in t.lines:
            sold[demo.stores[t.store].currency].add(demo.products[line.product].category)
    every = {c.key for c in CATEGORIES}
    assert sold["CNY"] == every
    assert sold["GBP"] == every


def test_money_adds_up(demo: DemoData) -> None:
    for t in demo.transactions:
        assert t.total == sum((line.amount for line in t.lines), Decimal(0)), t.key
        assert t.discount == sum((line.discount for line in t.lines), Decimal(0)), t.key
        for line in t.lines:
            assert line.amount == (line.unit_price * line.quantity).quantize(Decimal("0.01")) - line.discount
            if t.kind == "sale":
                assert line.quantity > 0 and 0 <= line.discount <= line.unit_price * line.quantity
        assert (t.kind == "return") == (t.total < 0)


def test_returns_take_back_an_earlier_line_of_the_same_product(demo: DemoData) -> None:
    returns = [t for t in demo.transactions if t.kind == "return"]
    assert 0.005 < len(returns) / len(demo.transactions) < 0.05
    for t in returns:
        assert t.original is not None
        sale = demo.transactions[t.original]
        assert sale.kind == "sale" and sale.member == t.member and sale.occurred_at < t.occurred_at
        for line in t.lines:
            assert line.quantity < 0 and line.original is not None and line.original[0] == t.original
            taken = sale.lines[line.original[1]]
            assert taken.product == line.product and -line.quantity <= taken.quantity


def test_lapsed_regulars_loyal_regulars_and_big_spenders(demo: DemoData) -> None:
    visits: dict[int, list[datetime]] = defaultdict(list)
    spend: Counter[int] = Counter()
    for t in demo.transactions:
        if t.member is not None and t.kind == "sale":
            visits[t.member].append(t.occurred_at)
            spend[t.member] += int(t.total)
    lapsed = [m for m, v in visits.items() if len(v) >= 4 and NOW - max(v) > timedelta(days=180)]
    loyal = [m for m, v in visits.items() if len(v) >= 15 and NOW - max(v) < timedelta(days=60)]
    assert len(lapsed) > 0.08 * len(demo.members)
    assert len(loyal) > 0.1 * len(demo.members)
    # A few members spend far more than the typical one.
    ranked = sorted(spend.values(), reverse=True)
    assert ranked[len(ranked) // 100] > 8 * ranked[len(ranked) // 2]


def test_consumables_are_bought_again(demo: DemoData) -> None:
    bought: Counter[tuple[int, int]] = Counter()
    for t in demo.transactions:
        if t.member is not None and t.kind == "sale":
            for line in t.lines:
                if demo.products[line.product].category in ("tea", "candles"):
                    bought[(t.member, line.product)] += 1
    assert sum(1 for n in bought.values() if n >= 4) > 200


def test_chinese_new_year_is_busier_in_china_and_seasonal_gifts_sell_in_season(demo: DemoData) -> None:
    china = {i for i, s in enumerate(demo.stores) if s.country == "China"}
    per_day: Counter[date] = Counter(t.occurred_at.date() for t in demo.transactions if t.store in china)
    cny = date(2026, *CNY[2026])
    before_cny = sum(per_day[cny - timedelta(days=d)] for d in range(1, 22))
    march = sum(per_day[date(2026, 3, 10) + timedelta(days=d)] for d in range(21))
    assert before_cny > 1.5 * march
    for t in demo.transactions:
        for line in t.lines:
            product = demo.products[line.product]
            if product.season == "mid_autumn" and line.quantity > 0:
                assert t.occurred_at.month in (8, 9, 10), (product.name_en, t.occurred_at)


def test_coupons_discounts_and_walk_ins(demo: DemoData) -> None:
    coupons = Counter(t.coupon for t in demo.transactions if t.coupon)
    assert {"WELCOME10", "BIRTHDAY15", "DOUBLE11"} <= set(coupons)
    assert 0.02 < sum(coupons.values()) / len(demo.transactions) < 0.2
    assert all(t.discount > 0 for t in demo.transactions if t.coupon)
    anonymous = sum(1 for t in demo.transactions if t.member is None)
    assert 0.05 < anonymous / len(demo.transactions) < 0.4


def test_chinese_and_english_names_and_product_translations(demo: DemoData) -> None:
    featured = demo.members[0]
    assert featured.name == FEATURED_MEMBER_NAME == "王芳"
    assert featured.card == FEATURED_MEMBER_CARD
    assert demo.stores[featured.store].name == "上海静安店"
    chinese = sum(1 for m in demo.members if CJK.search(m.name))
    assert 0.5 < chinese / len(demo.members) < 0.95
    assert any(m.name.isascii() for m in demo.members)
    assert all(CJK.search(p.name) and p.name_en.isascii() for p in demo.products)
    assert {p.name for p in demo.products if p.category == "candles"} & {
        "白茶香薰蜡烛",
        "檀木香薰蜡烛",
        "玫瑰香薰蜡烛",
    }


def test_phones_cards_and_qr_tokens_are_valid_and_unique(demo: DemoData) -> None:
    phones = [m.phone for m in demo.members]
    assert len(set(phones)) == len(phones)
    for member in demo.members:
        region = "CN" if demo.stores[member.store].country == "China" else "GB"
        assert normalise_phone(member.phone, region) == member.phone
        assert member.phone.startswith("+86139" if region == "CN" else "+447700")
        assert luhn_digit(member.card[:-1]) == member.card[-1]
    assert len({m.card for m in demo.members}) == len(demo.members)
    assert len({m.qr for m in demo.members}) == len(demo.members)


def test_london_prices_are_in_pounds(demo: DemoData) -> None:
    london = next(i for i, s in enumerate(demo.stores) if s.currency == "GBP")
    for t in demo.transactions[:3000]:
        for line in t.lines:
            product = demo.products[line.product]
            expected = product.price_gbp if t.store == london else product.price
            assert line.unit_price == expected
    for product in demo.products:
        assert abs(float(product.price_gbp) * 9 - float(product.price)) < 9 * 1.5


def test_staff_notes_in_the_members_language(demo: DemoData) -> None:
    assert 100 <= len(demo.interactions) <= 200
    assert {n.channel for n in demo.interactions} == {"call", "wechat", "face_to_face"}
    for note in demo.interactions:
        member = demo.members[note.member]
        assert bool(CJK.search(note.note)) == (member.locale == "zh")
        assert NOW - timedelta(days=121) < note.occurred_at < NOW
    assert demo.interactions[0].member == 0  # 王芳 has a history with her consultant
