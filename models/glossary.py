"""A bilingual glossary of kinds of product and product themes: how a word is said in the other language.

It decides nothing about categories. A customer's word is first looked up in the chain's own catalogue
(`models.vocabulary`); only when the catalogue does not know it are its translations tried, so "陶瓷" finds
an English-only chain's "Ceramics" and "scarf" a Chinese-only chain's "围巾". A glossary word the catalogue
knows in neither language is a kind of product the chain does not carry, which the clerk is told.
"""

from __future__ import annotations

from models.segment import phrase_key

# (English words, Chinese words): each group is one kind of product; the first English word is its name.
KINDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("tea", "teas"), ("茶", "茶叶", "茶品")),
    (("black tea",), ("红茶",)),
    (("green tea",), ("绿茶",)),
    (("white tea",), ("白茶",)),
    (("oolong", "oolong tea"), ("乌龙", "乌龙茶")),
    (("pu'er", "puer", "pu-erh", "pu'er tea"), ("普洱", "普洱茶")),
    (("jasmine tea",), ("茉莉花茶", "花茶")),
    (("longjing", "dragon well"), ("龙井",)),
    (("tieguanyin",), ("铁观音",)),
    (("earl grey",), ("伯爵茶",)),
    (("tea set",), ("茶具", "茶具套装")),
    (("teapot",), ("茶壶",)),
    (("teacup", "tea cup"), ("茶杯",)),
    (("tea towel",), ("茶巾",)),
    (("coffee",), ("咖啡",)),
    (("wine",), ("酒", "葡萄酒", "红酒")),
    (("chocolate", "chocolates"), ("巧克力",)),
    (("flowers", "bouquet"), ("鲜花", "花束")),
    (("ceramics", "ceramic", "porcelain", "pottery", "china"), ("陶瓷", "瓷器", "陶器")),
    (("tableware", "dinnerware"), ("餐具",)),
    (("mug", "mugs"), ("马克杯",)),
    (("cup", "cups"), ("杯子", "杯")),
    (("plate", "plates"), ("盘子", "餐盘", "盘")),
    (("bowl", "bowls"), ("碗", "饭碗")),
    (("vase", "vases"), ("花瓶",)),
    (("textiles", "textile", "fabric"), ("家纺", "布艺", "纺织品")),
    (("scarf", "scarves", "shawl"), ("围巾", "披肩")),
    (("cushion", "cushions", "pillow"), ("抱枕", "靠垫", "抱枕套")),
    (("blanket", "throw"), ("毯子", "盖毯")),
    (("tablecloth",), ("桌布",)),
    (("bag", "bags"), ("包", "袋子")),
    (("tote", "tote bag"), ("托特包", "帆布包")),
    (("handbag", "purse"), ("手提包", "钱包")),
    (("candle", "candles"), ("蜡烛",)),
    (("scented candle", "scented candles"), ("香薰蜡烛", "香氛蜡烛")),
    (("fragrance", "aromatherapy"), ("香薰", "香氛")),
    (("diffuser", "reed diffuser"), ("扩香", "藤条扩香")),
    (("essential oil",), ("精油",)),
    (("incense",), ("香", "线香")),
    (("lantern", "lanterns"), ("灯笼",)),
    (("lamp", "lamps", "light", "lights", "lighting"), ("灯", "灯具", "灯饰", "台灯")),
    (("stationery",), ("文具",)),
    (("notebook", "notebooks", "journal"), ("笔记本", "本子", "手账")),
    (("pen", "pens", "fountain pen"), ("笔", "钢笔")),
    (("card", "cards", "greeting card"), ("贺卡", "卡片")),
    (("postcard", "postcards"), ("明信片",)),
    (("bookmark", "bookmarks"), ("书签",)),
    (("jewellery", "jewelry"), ("首饰", "饰品", "珠宝")),
    (("necklace", "necklaces"), ("项链",)),
    (("bracelet", "bracelets"), ("手链", "手镯")),
    (("earrings", "earring", "studs"), ("耳环", "耳钉")),
    (("ring", "rings"), ("戒指",)),
    (("brooch",), ("胸针",)),
    (("hairpin", "hair pin"), ("发簪", "发夹")),
    (("skincare", "skin care"), ("护肤", "护肤品")),
    (("beauty", "cosmetics", "makeup"), ("美妆", "化妆品")),
    (("hand cream",), ("护手霜",)),
    (("lip balm",), ("润唇膏",)),
    (("face cream",), ("面霜",)),
    (("body lotion", "lotion"), ("身体乳",)),
    (("soap", "soaps"), ("香皂", "肥皂", "手工皂")),
    (("perfume",), ("香水",)),
    (("toy", "toys", "game", "games"), ("玩具",)),
    (("puzzle", "jigsaw"), ("拼图",)),
    (("teddy", "teddy bear", "plush"), ("泰迪熊", "毛绒玩具")),
    (("kitchen",), ("厨房",)),
    (("garden", "gardening", "plant", "plants"), ("园艺", "花园", "植物")),
    (("storage", "box", "boxes", "tin"), ("收纳", "盒子", "铁盒")),
    (("basket",), ("篮子",)),
    (("clock",), ("钟", "挂钟")),
    (("frame", "photo frame"), ("相框",)),
    (("ornament", "ornaments", "figurine"), ("摆件", "挂饰")),
    (("mooncake", "mooncakes"), ("月饼",)),
    (("red envelope", "red envelopes", "red packet"), ("红包",)),
    (("couplet", "couplets"), ("春联", "对联")),
    (("advent calendar",), ("降临节日历",)),
    (("clothes", "clothing", "shirt", "dress"), ("衣服", "服装", "衬衫", "裙子")),
    (("shoes",), ("鞋", "鞋子")),
    (("phone", "phones"), ("手机",)),
    (("books", "book"), ("书", "书籍")),
)

# Themes a product can carry: the catalogue matches them anywhere in a name ("Christmas Ornament").
THEMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("christmas", "xmas"), ("圣诞", "圣诞节")),
    (("mid-autumn", "mid autumn"), ("中秋", "中秋节")),
    (("lunar new year", "spring festival", "chinese new year"), ("春节", "新春", "过年")),
    (("seasonal", "festive"), ("节日", "节庆")),
)


# Words for a whole department rather than one kind of product: a chain may file them under another name
# ("toys" as "Kids"), so a lexicon concept may still find them; a specific kind ("perfume") it may not.
_DEPARTMENT_WORDS = (
    "kitchen toys games jewellery jewelry stationery beauty skincare garden gardening storage decor "
    "decorations textiles tableware ceramics lighting party christmas "
    "厨房 玩具 首饰 饰品 文具 美妆 护肤 护肤品 园艺 花园 收纳 家居 装饰 家纺 餐具 陶瓷 灯具 派对 圣诞"
)
DEPARTMENTS = frozenset(phrase_key(w) if w.isascii() else w for w in _DEPARTMENT_WORDS.split())


def is_department(word: str) -> bool:
    """True for a word naming a whole department ("kitchen", "文具"), English as `phrase_key` gives it."""
    return word in DEPARTMENTS


def _index(groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    """Each word (English as `phrase_key` gives it: "scarves" is "scarf") -> its equivalents."""
    out: dict[str, tuple[str, ...]] = {}
    for en, zh in groups:
        for word in en:
            out.setdefault(phrase_key(word), zh + tuple(w for w in en if w != word))
        for word in zh:
            out.setdefault(word, en + tuple(w for w in zh if w != word))
    return out


KIND_TRANSLATIONS = _index(KINDS)
THEME_TRANSLATIONS = _index(THEMES)


def translations(word: str) -> tuple[str, ...]:
    """The word's equivalents, the other language's first (empty for a word the glossary lacks); an English
    word is looked up as `phrase_key` gives it."""
    return KIND_TRANSLATIONS.get(word) or THEME_TRANSLATIONS.get(word, ())


def is_kind(word: str) -> bool:
    """True for a kind of product ("tea", "围巾"), which names what an item is, not what it is themed."""
    return word in KIND_TRANSLATIONS


def glossary_words() -> frozenset[str]:
    """Every word the glossary knows, in both languages."""
    return frozenset(KIND_TRANSLATIONS) | frozenset(THEME_TRANSLATIONS)
