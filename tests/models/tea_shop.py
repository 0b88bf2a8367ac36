"""A bilingual gift and tea shop shaped like the generated demo chain (server/demo/catalog_data.py).

Category keys as the database stores them ("tea", "ceramics"), their zh/en labels, and products named the
demo's way: a variant (colour, scent, material, size) and an item, in Chinese and English, priced in CNY.
`tea_shop_as_stored()` is the same shop as the server loads it from the database: no category labels, the
Chinese name as the product's name, the English one only among its translations.
"""

from __future__ import annotations

from models.catalog import Catalog, CatalogItem
from models.vocabulary import CatalogVocabulary

CATEGORY_NAMES = {
    "candles": {"en": "Candles & fragrance", "zh": "香薰蜡烛"},
    "lanterns": {"en": "Lanterns & lights", "zh": "灯笼灯饰"},
    "ceramics": {"en": "Ceramics & tableware", "zh": "陶瓷餐具"},
    "textiles": {"en": "Textiles", "zh": "家纺布艺"},
    "stationery": {"en": "Stationery", "zh": "文具"},
    "jewellery": {"en": "Jewellery", "zh": "饰品"},
    "seasonal": {"en": "Seasonal gifts", "zh": "节日礼品"},
    "tea": {"en": "Tea", "zh": "茶叶"},
    "skincare": {"en": "Skincare", "zh": "护肤"},
}

_SCENTS = [("白茶", "White Tea"), ("檀木", "Sandalwood"), ("玫瑰", "Rose"), ("桂花", "Osmanthus")]
_COLOURS = [("朱红", "Vermilion", "red"), ("墨黑", "Ink Black", "black"), ("月白", "Moon White", "white")]
_CLAYS = [("青瓷", "Celadon"), ("骨瓷", "Bone China"), ("粗陶", "Stoneware")]
_CLOTHS = [("羊毛", "Wool"), ("真丝", "Silk"), ("亚麻", "Linen")]
_METALS = [("纯银", "Sterling Silver"), ("黄铜", "Brass"), ("淡水珍珠", "Freshwater Pearl")]
_SIZES = [("50克", "50 g"), ("礼盒装", "Gift Box")]
_DESIGNS = [("龙年", "Year of the Dragon"), ("雪花", "Snowflake")]

# category -> [(zh item, en item, base price)], combined with the category's variants
_ITEMS: dict[str, list[tuple[str, str, int]]] = {
    "candles": [
        ("香薰蜡烛", "Scented Candle", 189),
        ("藤条扩香", "Reed Diffuser", 259),
        ("香薰精油", "Essential Oil", 99),
    ],
    "lanterns": [
        ("纸灯笼", "Paper Lantern", 69),
        ("铁艺灯笼", "Metal Lantern", 259),
        ("藤编台灯", "Rattan Table Lamp", 499),
    ],
    "ceramics": [
        ("马克杯", "Mug", 79),
        ("茶杯", "Teacup", 99),
        ("花瓶", "Vase", 329),
        ("茶壶", "Teapot", 299),
        ("茶具套装", "Tea Set", 599),
    ],
    "textiles": [
        ("围巾", "Scarf", 399),
        ("抱枕套", "Cushion Cover", 129),
        ("茶巾", "Tea Towel", 49),
        ("托特包", "Tote Bag", 119),
    ],
    "stationery": [("笔记本", "Notebook", 69), ("钢笔", "Fountain Pen", 259), ("贺卡", "Greeting Card", 19)],
    "jewellery": [
        ("项链", "Necklace", 699),
        ("手链", "Bracelet", 459),
        ("耳钉", "Stud Earrings", 299),
        ("胸针", "Brooch", 199),
    ],
    "seasonal": [
        ("圣诞挂饰", "Christmas Ornament", 59),
        ("月饼礼盒", "Mooncake Gift Box", 268),
        ("生肖摆件", "Zodiac Figurine", 189),
    ],
    "tea": [
        ("西湖龙井", "Longjing Green Tea", 388),
        ("普洱茶饼", "Pu'er Tea Cake", 398),
        ("伯爵红茶", "Earl Grey", 99),
        ("茉莉花茶", "Jasmine Tea", 119),
        ("英式早餐茶", "English Breakfast Tea", 89),
        ("白毫银针", "Silver Needle White Tea", 298),
    ],
    "skincare": [
        ("护手霜", "Hand Cream", 99),
        ("手工皂", "Handmade Soap", 49),
        ("身体乳", "Body Lotion", 179),
    ],
}


def _variants(category: str) -> list[tuple[str, str, dict[str, str], bool]]:
    """(zh, en, attributes, is a size) per variant of a category's items."""
    if category in ("candles", "skincare"):
        return [(zh, en, {"scent": en.lower()}, False) for zh, en in _SCENTS[:3]]
    if category == "lanterns":
        return [(zh, en, {"colour": c}, False) for zh, en, c in _COLOURS]
    if category == "ceramics":
        return [(zh, en, {"material": en.lower()}, False) for zh, en in _CLAYS[:2]]
    if category in ("textiles",):
        return [(zh, en, {"material": en.lower()}, False) for zh, en in _CLOTHS[:2]]
    if category == "jewellery":
        return [(zh, en, {"material": en.lower()}, False) for zh, en in _METALS[:2]]
    if category == "tea":
        return [(zh, en, {"size": en.lower()}, True) for zh, en in _SIZES]
    if category == "seasonal":
        return [(zh, en, {"design": en.lower()}, False) for zh, en in _DESIGNS]
    return [
        ("牛皮纸", "Kraft", {"material": "kraft"}, False),
        ("烫金", "Gold-foil", {"finish": "gold foil"}, False),
    ]


def _items() -> list[CatalogItem]:
    items: list[CatalogItem] = []
    for number, category in enumerate(CATEGORY_NAMES, start=1):
        for i, (zh, en, price) in enumerate(_ITEMS[category]):
            for v, (vzh, ven, attributes, sized) in enumerate(_variants(category)):
                item_id = number * 100 + i * 10 + v
                items.append(
                    CatalogItem(
                        item_id=item_id,
                        sku=f"DM-{category[:3].upper()}-{item_id}",
                        names={
                            "zh": f"{zh}（{vzh}）" if sized else f"{vzh}{zh}",
                            "en": f"{en}, {ven}" if sized else f"{ven} {en}",
                        },
                        category=category,
                        price=float(price + 20 * v),
                        attributes=attributes,
                    )
                )
    return items


def tea_shop() -> Catalog:
    """The shop with its category labels in both languages."""
    return Catalog(_items(), category_names=CATEGORY_NAMES, currency="¥")


def tea_shop_as_stored() -> tuple[Catalog, CatalogVocabulary]:
    """The shop as the server loads it (Chinese names, bare category keys) and the vocabulary the server
    builds for it from the products' translations."""
    items = _items()
    stored = [
        CatalogItem(it.item_id, it.sku, {"en": it.names["zh"], "zh": it.names["zh"]}, it.category, it.price)
        for it in items
    ]
    catalog = Catalog(stored, currency="¥")
    names = {it.item_id: [it.names["en"], it.names["zh"]] for it in items}
    return catalog, CatalogVocabulary(catalog, names=names)
