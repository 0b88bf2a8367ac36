"""One purchase history over three catalogues: English names, Chinese-only names, SKU codes only.

64 products in 8 categories of 8; 240 members, each with a staple rebought every visit, a favourite
category whose items they try, and paired items (2k, 2k+1) bought together. The text encoder reads
English only, as the bundled MiniLM does: English names sharing a word sit close together, while a
Chinese or code-only name gets a vector of its own with no relation to any other (the near-meaningless
vectors MiniLM gives such text).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence

import numpy as np

from models.catalog import Catalog
from models.index import CatalogIndex
from models.member import MemberFacts, Purchase

DIM = 64
N_CATEGORIES, PER_CATEGORY = 8, 8
N_MEMBERS, VISITS, GAP_DAYS = 240, 6, 14
START = dt.date(2024, 1, 1)
TODAY = START + dt.timedelta(days=(VISITS - 1) * GAP_DAYS)  # the day of the held-out last visit

CATEGORIES = ("tea", "candles", "mugs", "soap", "lanterns", "scarves", "notebooks", "plants")
NOUNS_EN = ("tea", "candle", "mug", "soap", "lantern", "scarf", "notebook", "plant")
NOUNS_ZH = ("茶叶", "蜡烛", "马克杯", "香皂", "灯笼", "围巾", "笔记本", "绿植")
KINDS_EN = ("green", "jasmine", "smoky", "golden", "linen", "cedar", "ruby", "pocket")
KINDS_ZH = ("翠绿", "茉莉", "烟熏", "金色", "亚麻", "雪松", "红宝石", "口袋")


def _catalog(names: list[str]) -> Catalog:
    n = N_CATEGORIES * PER_CATEGORY
    return Catalog.from_arrays(
        item_ids=np.arange(1, n + 1),
        skus=[f"{CATEGORIES[i // PER_CATEGORY][:3].upper()}-{1000 + i}" for i in range(n)],
        names_en=names,
        categories=[CATEGORIES[i // PER_CATEGORY] for i in range(n)],
        prices=np.full(n, 10.0),
        currency="¥",
    )


def catalogues() -> dict[str, Catalog]:
    """The same products named three ways."""
    rows = [(c, k) for c in range(N_CATEGORIES) for k in range(PER_CATEGORY)]
    return {
        "english": _catalog([f"{KINDS_EN[k].title()} {NOUNS_EN[c]}" for c, k in rows]),
        "chinese": _catalog([f"{KINDS_ZH[k]}{NOUNS_ZH[c]}" for c, k in rows]),
        "sku": _catalog([f"{CATEGORIES[c][:3].upper()}-{1000 + c * PER_CATEGORY + k}" for c, k in rows]),
    }


def product_texts(catalog: Catalog) -> list[str]:
    """What the server embeds per product: name, then category."""
    return [
        f"{name} - {cat}" for name, cat in zip(catalog.names["en"], catalog_categories(catalog), strict=True)
    ]


def catalog_categories(catalog: Catalog) -> list[str]:
    """Each row's category."""
    return [catalog.categories[c] for c in catalog.category_codes]


class EnglishOnlyEncoder:
    """Sums a fixed random vector per English word; text with no English word gets a random vector."""

    model_id = "english-only-test-encoder"  # an unrecognised name: read as English-only
    dimensions = DIM

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """One unit vector per text."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z]{3,}", text.lower())
            for word in words or [text]:  # no English word: the whole text is one unknown piece
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
                out[row] += np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def item_index(catalog: Catalog, texts: list[str], weight: float) -> CatalogIndex:
    """The catalogue's item index as the server builds it, its text weight set."""
    index = CatalogIndex(DIM, model_name=EnglishOnlyEncoder.model_id)
    index.add(catalog.ids, EnglishOnlyEncoder().encode(texts))
    index.text_weight = weight
    return index


def visits(seed: int = 11) -> list[list[tuple[dt.date, list[int]]]]:
    """Each member's visits, oldest first: (day, item ids); the last one is held out."""
    rng = np.random.default_rng(seed)
    members = []
    for _ in range(N_MEMBERS):
        favourite = int(rng.integers(N_CATEGORIES))
        first = favourite * PER_CATEGORY + 1
        staple = first + int(rng.integers(PER_CATEGORY))
        own: list[tuple[dt.date, list[int]]] = []
        for v in range(VISITS):
            tried = first + int(rng.integers(PER_CATEGORY))
            partner = tried + 1 if tried % 2 else tried - 1  # pairs (1, 2), (3, 4), ...
            basket = {staple, tried} | ({partner} if rng.random() < 0.7 else set())
            own.append((START + dt.timedelta(days=v * GAP_DAYS + int(rng.integers(3))), sorted(basket)))
        members.append(own)
    return members


def facts(member_id: int, history: list[tuple[dt.date, list[int]]]) -> MemberFacts:
    """A member's facts from their visits."""
    purchases = tuple(Purchase(item, day) for day, items in history for item in items)
    return MemberFacts(member_id=member_id, name=f"m{member_id}", locale="zh", purchases=purchases)


def lines(
    members: list[list[tuple[dt.date, list[int]]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(basket key, member, item, day ordinal) of every line of every visit given."""
    rows = [
        (m * 100 + v, m, item, day.toordinal())
        for m, own in enumerate(members)
        for v, (day, items) in enumerate(own)
        for item in items
    ]
    return tuple(np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))  # type: ignore[return-value]
