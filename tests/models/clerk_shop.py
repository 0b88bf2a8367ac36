"""A small bilingual gift shop for the clerk tests: a catalog, a deterministic fake encoder, its index.

The fake encoder embeds a text as the normalised sum of one fixed random vector per word (English words,
Chinese character pairs), so texts sharing words are close: "White lantern" sits next to "Metal lantern".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import numpy as np

from models.catalog import Catalog, CatalogItem, name_terms
from models.encoder import Encoder
from models.index import CatalogIndex

TODAY = dt.date(2024, 6, 15)
OLD = dt.date(2023, 1, 1)
DIM = 64

CATEGORY_NAMES = {
    "candles": {"en": "Candles", "zh": "蜡烛"},
    "lights": {"en": "Lights", "zh": "灯具"},
    "home_decor": {"en": "Home decor", "zh": "家居装饰"},
    "kitchen": {"en": "Kitchen", "zh": "厨房"},
    "bags": {"en": "Bags", "zh": "包袋"},
    "stationery": {"en": "Stationery", "zh": "文具"},
    "toys": {"en": "Toys", "zh": "玩具"},
    "jewellery": {"en": "Jewellery", "zh": "首饰"},
    "garden": {"en": "Garden", "zh": "园艺"},
    "christmas": {"en": "Christmas", "zh": "圣诞"},
    "beauty": {"en": "Beauty", "zh": "美妆"},
    "storage": {"en": "Storage", "zh": "收纳"},
}

# (id, English name, Chinese name, category, price, days in store or None for long-standing)
ITEMS: list[tuple[int, str, str, str, float, int | None]] = [
    (1, "White pillar candle", "白色柱形蜡烛", "candles", 8.0, None),
    (2, "Vanilla scented candle", "香草香薰蜡烛", "candles", 12.0, None),
    (3, "Tealight set of 12", "茶蜡十二支装", "candles", 4.0, None),
    (4, "Glass candle holder", "玻璃烛台", "candles", 9.0, None),
    (5, "Lavender candle", "薰衣草蜡烛", "candles", 11.0, None),
    (6, "Large church candle", "大号教堂蜡烛", "candles", 22.0, None),
    (7, "White lantern candle set", "白色灯笼蜡烛套装", "candles", 15.0, 3),
    (10, "White lantern", "白色灯笼", "lights", 18.0, None),
    (11, "Red paper lantern", "红色纸灯笼", "lights", 6.0, None),
    (12, "Metal lantern", "金属灯笼", "lights", 25.0, None),
    (13, "Moroccan lantern", "摩洛哥灯笼", "lights", 35.0, None),
    (14, "Fairy lights string", "串灯", "lights", 14.0, None),
    (15, "Bedside lamp", "床头台灯", "lights", 40.0, None),
    (16, "Star night light", "星星小夜灯", "lights", 16.0, None),
    (17, "Glass hanging lantern", "玻璃吊灯笼", "lights", 21.0, 10),
    (20, "Ceramic vase", "陶瓷花瓶", "home_decor", 20.0, None),
    (21, "Photo frame", "相框", "home_decor", 10.0, None),
    (22, "Velvet cushion", "丝绒靠垫", "home_decor", 24.0, None),
    (23, "Wall clock", "挂钟", "home_decor", 30.0, None),
    (24, "Heart ornament", "爱心挂饰", "home_decor", 5.0, None),
    (25, "Round mirror", "圆镜", "home_decor", 45.0, None),
    (26, "Bud vase", "小花瓶", "home_decor", 4.5, 5),
    (30, "Cake stand", "蛋糕架", "kitchen", 19.0, None),
    (31, "Floral teapot", "碎花茶壶", "kitchen", 28.0, None),
    (32, "Spotty mug", "波点马克杯", "kitchen", 7.0, None),
    (33, "Dinner plate", "餐盘", "kitchen", 9.0, None),
    (34, "Baking set", "烘焙套装", "kitchen", 26.0, None),
    (35, "Tea towel", "茶巾", "kitchen", 5.0, None),
    (36, "Jam jar set", "果酱罐套装", "kitchen", 12.0, None),
    (40, "Jute shopping bag", "黄麻购物袋", "bags", 6.0, None),
    (41, "Canvas tote", "帆布手提袋", "bags", 12.0, None),
    (42, "Lunch bag", "午餐包", "bags", 9.0, None),
    (43, "Leather purse", "皮革钱包", "bags", 38.0, None),
    (44, "Backpack", "背包", "bags", 32.0, None),
    (50, "Notebook", "笔记本", "stationery", 6.0, None),
    (51, "Greeting card", "贺卡", "stationery", 3.0, None),
    (52, "Wrapping paper", "包装纸", "stationery", 4.0, None),
    (53, "Pen set", "钢笔套装", "stationery", 15.0, None),
    (60, "Wooden puzzle", "木制拼图", "toys", 11.0, None),
    (61, "Teddy bear", "泰迪熊", "toys", 17.0, None),
    (62, "Skipping rope", "跳绳", "toys", 4.0, None),
    (63, "Doll house", "娃娃屋", "toys", 55.0, None),
    (70, "Silver necklace", "银项链", "jewellery", 29.0, None),
    (71, "Bead bracelet", "串珠手链", "jewellery", 14.0, None),
    (72, "Pearl earrings", "珍珠耳环", "jewellery", 27.0, None),
    (73, "Enamel brooch", "珐琅胸针", "jewellery", 3.5, None),
    (80, "Plant pot", "花盆", "garden", 8.0, None),
    (81, "Watering can", "洒水壶", "garden", 15.0, None),
    (82, "Bird feeder", "喂鸟器", "garden", 13.0, None),
    (83, "Garden gloves", "园艺手套", "garden", 7.0, None),
    (90, "Christmas bauble", "圣诞球", "christmas", 3.0, None),
    (91, "Advent calendar", "圣诞日历", "christmas", 10.0, None),
    (92, "Christmas wreath", "圣诞花环", "christmas", 22.0, None),
    (100, "Lavender soap", "薰衣草香皂", "beauty", 2.5, None),
    (101, "Bath salts", "浴盐", "beauty", 9.0, None),
    (102, "Hand cream", "护手霜", "beauty", 11.0, None),
    (103, "Lavender sachet", "薰衣草香包", "beauty", 3.0, None),
    (110, "Storage tin", "储物铁盒", "storage", 7.0, None),
    (111, "Wicker basket", "柳条篮", "storage", 18.0, None),
    (112, "Biscuit tin", "饼干铁盒", "storage", 9.0, None),
]


def shop_catalog(category_names: dict[str, dict[str, str]] | None = None) -> Catalog:
    """The shop's catalog; category names can be swapped to play another chain."""
    items = [
        CatalogItem(
            item_id=i,
            sku=f"SKU{i:04d}",
            names={"en": en, "zh": zh},
            category=cat,
            price=price,
            first_seen=TODAY - dt.timedelta(days=days) if days is not None else OLD,
        )
        for i, en, zh, cat, price, days in ITEMS
    ]
    return Catalog(items, category_names=category_names or CATEGORY_NAMES)


class FakeEncoder:
    """Deterministic bag-of-words embeddings: one seeded random vector per word, summed and normalised."""

    model_id = "fake-bag-of-words"

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim

    @property
    def dimensions(self) -> int:
        """Length of each vector."""
        return self.dim

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """(n, dim) float32 unit rows."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for n, text in enumerate(texts):
            v = sum((self._word(t) for t in name_terms(text)), np.zeros(self.dim)) + 1e-3 * self._word("")
            out[n] = v / np.linalg.norm(v)
        return out


def shop_index(catalog: Catalog, encoder: Encoder) -> CatalogIndex:
    """The catalog's item texts embedded and indexed (exact search at this size)."""
    return CatalogIndex.build(catalog.ids, encoder.encode(catalog.texts()))
