"""A small shop with members whose histories have known answers, and a recommender built over it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.catalog import name_terms
from server.core.context import AppContext
from server.db.tables import Member, MemberTag, Product
from server.recommendations.deps import get_recommender
from server.recommendations.engine import Engine, build_recommender
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, build_world, make_member, make_product, make_transaction

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


class HashEncoder:
    """Bag-of-words vectors by hashing each term: texts sharing words are close, nothing is loaded."""

    model_id = "test-hash-encoder"
    dimensions = 128

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """One unit vector per text."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in name_terms(text):
                digest = hashlib.sha256(term.encode()).digest()
                out[row, digest[0] % self.dimensions] += 1.0 if digest[1] % 2 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


# (name, category, price, Chinese name)
PRODUCTS = [
    ("Tea Light Candles", "Candles", "4.50", "茶蜡"),
    ("Vanilla Scented Candle", "Candles", "12.00", "香草香薰蜡烛"),
    ("Pillar Candle Set", "Candles", "25.00", ""),
    ("Glass Candle Holder", "Candles", "2.80", ""),
    ("Luxury Candle Gift Box", "Candles", "42.00", ""),
    ("Ceramic Mug", "Kitchen", "6.00", "陶瓷杯"),
    ("Teapot With Infuser", "Kitchen", "18.00", ""),
    ("Cake Tin", "Kitchen", "3.20", ""),
    ("Linen Tea Towel", "Kitchen", "2.50", ""),
    ("Porcelain Vase", "Home Decor", "22.00", ""),
    ("Photo Frame", "Home Decor", "8.50", ""),
    ("Hanging Heart Ornament", "Home Decor", "1.95", ""),
    ("Velvet Cushion", "Home Decor", "35.00", ""),
    ("Tote Bag", "Bags", "15.00", ""),
    ("Bag Charm", "Bags", "1.50", ""),
    ("Leather Handbag", "Bags", "29.00", ""),
    ("Coin Purse", "Bags", "3.90", ""),
    ("White Lantern", "Lights", "9.00", "白色灯笼"),
    ("Fairy Lights", "Lights", "28.00", ""),
]


@dataclass
class Shop:
    world: World
    products: dict[str, Product]
    regular: Member  # buys tea lights every 30 days, last 35 days ago
    dormant: Member  # last bought 200 days ago
    other: Member  # a member of store B


def build_shop(session: Session, context: AppContext) -> Shop:
    """Stores, staff, the products above and three members with purchase histories; committed."""
    world = build_world(session)
    products = {}
    for name, category, price, zh in PRODUCTS:
        p = make_product(session, name=name, category=category, price=price)
        if zh:
            p.translations = {"zh": {"name": zh}}
        products[name] = p
    a, b = world.store_a, world.store_b
    regular = make_member(session, context.keys, a, name="Regular Rita")
    dormant = make_member(session, context.keys, a, name="Dormant Dan")
    other = make_member(session, context.keys, b, name="Other Olga")
    tea, mug = products["Tea Light Candles"], products["Ceramic Mug"]
    holder, frame = products["Glass Candle Holder"], products["Photo Frame"]
    for days in (95, 65, 35):
        make_transaction(
            session, a, regular, [(tea, 2, "4.50"), (mug, 1, "6.00")], NOW - timedelta(days=days)
        )
    for days in (260, 230, 200):
        make_transaction(
            session, a, dormant, [(frame, 1, "8.50"), (holder, 3, "2.80")], NOW - timedelta(days)
        )
    # Other shoppers put tea lights and candle holders in one basket: a co-purchase pattern.
    for days in (50, 40, 30):
        make_transaction(session, b, other, [(tea, 1, "4.50"), (holder, 1, "2.80")], NOW - timedelta(days))
    session.commit()
    return Shop(world, products, regular, dormant, other)


@pytest.fixture
def shop(session: Session, context: AppContext) -> Shop:
    return build_shop(session, context)


@pytest.fixture
def recommender(shop: Shop, context: AppContext) -> Engine:
    with context.sessions() as s:
        return build_recommender(s, HashEncoder())


def use(client: TestClient, rec: Engine) -> TestClient:
    """Point `client`'s app at `rec` and pin its clock to NOW."""
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[get_recommender] = lambda: rec
    pin_clock(client, NOW)
    return client


@pytest.fixture
def api(client: TestClient, recommender: Engine) -> TestClient:
    return use(client, recommender)


@dataclass
class BusyMonth:
    """Store A's last month of walk-in sales, an inactive and an out-of-stock best-seller, and new members."""

    newcomer: Member  # store A, tagged "Candles" by a clerk at enrolment, never bought
    stranger: Member  # store A, no tags, never bought
    newcomer_b: Member  # store B (which sold too little to rank), never bought
    retired: Product  # sold more than anything, no longer active
    sold_out: Product  # sold well, its attributes say there is none left


def busy_month(session: Session, context: AppContext, shop: Shop) -> BusyMonth:
    """Anonymous sales in store A over the 30 days before NOW, and three new members; committed."""
    a, b = shop.world.store_a, shop.world.store_b
    p = shop.products
    retired = make_product(session, name="Retired Candle", category="Candles", price="5.00", active=False)
    sold_out = p["Luxury Candle Gift Box"]
    sold_out.attributes = {"stock": 0}
    p["Vanilla Scented Candle"].translations = {"zh": {"name": "香草香薰蜡烛", "category": "蜡烛"}}
    for product, receipts in (
        (p["Tote Bag"], 10),
        (p["Vanilla Scented Candle"], 8),
        (p["Fairy Lights"], 6),
        (p["Pillar Candle Set"], 5),
        (retired, 14),
        (sold_out, 12),
    ):
        for n in range(receipts):
            make_transaction(
                session, a, None, [(product, 1, str(product.price))], NOW - timedelta(days=1 + n)
            )
    newcomer = make_member(session, context.keys, a, name="New Nina")
    session.add(MemberTag(member_id=newcomer.id, tag="Candles", source="staff", tagged_at=NOW))
    stranger = make_member(session, context.keys, a, name="Quiet Quinn")
    newcomer_b = make_member(session, context.keys, b, name="Bea from B")
    session.commit()
    return BusyMonth(newcomer, stranger, newcomer_b, retired, sold_out)
