"""The hand-written bilingual words of a request's intent: recipients, occasions, gifts, colours, refusals,
and broad product concepts.

Kinds of product are matched against the chain's own catalogue (`models.vocabulary`). A concept ("candles",
"lights") is the fallback for a word the catalogue does not know: `CategoryMatcher` maps it to the chain's
categories by name, else by embedding similarity of its English description to English category names
(the bundled model is English-only, so Chinese never depends on it). No category name is hard-coded here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.catalog import Catalog, name_terms
from models.encoder import Encoder

CATEGORY_MIN_SIMILARITY = 0.45  # embedding match of a concept to a category name, when no name matches

# concept -> (description embedded to find the matching catalog categories, English words, Chinese words)
CONCEPTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "candles": (
        "candles and candle holders",
        ("candle", "candles", "tealight", "tealights", "t-light", "t-lights", "votive", "candlestick"),
        ("蜡烛", "香薰蜡烛", "烛台", "茶蜡"),
    ),
    "lights": (
        "lanterns, lamps and lights",
        ("lantern", "lanterns", "lamp", "lamps", "light", "lights", "lighting", "fairy lights"),
        ("灯笼", "灯具", "台灯", "灯串", "彩灯", "灯"),
    ),
    "home_decor": (
        "home decoration and ornaments",
        (
            "decor",
            "decoration",
            "decorations",
            "ornament",
            "ornaments",
            "vase",
            "frame",
            "frames",
            "cushion",
            "clock",
        ),
        ("装饰", "家居", "摆件", "花瓶", "相框", "靠垫", "挂钟"),
    ),
    "kitchen": (
        "kitchen and tableware",
        (
            "kitchen",
            "mug",
            "mugs",
            "cup",
            "cups",
            "plate",
            "plates",
            "bowl",
            "bowls",
            "teapot",
            "baking",
            "tableware",
        ),
        ("厨房", "餐具", "杯子", "马克杯", "盘子", "碗", "茶壶", "烘焙"),
    ),
    "bags": (
        "bags and totes",
        ("bag", "bags", "tote", "totes", "handbag", "handbags", "purse", "backpack"),
        ("包", "袋子", "手提袋", "购物袋", "手提包", "钱包", "背包"),
    ),
    "stationery": (
        "stationery, notebooks and cards",
        (
            "stationery",
            "notebook",
            "notebooks",
            "pen",
            "pens",
            "pencil",
            "card",
            "cards",
            "wrapping",
            "journal",
        ),
        ("文具", "笔记本", "笔", "贺卡", "卡片", "包装纸", "本子"),
    ),
    "toys": (
        "toys and games for children",
        ("toy", "toys", "game", "games", "puzzle", "doll", "teddy", "plush"),
        ("玩具", "游戏", "拼图", "娃娃", "毛绒"),
    ),
    "jewellery": (
        "jewellery and accessories",
        ("jewellery", "jewelry", "necklace", "bracelet", "earrings", "ring", "brooch"),
        ("首饰", "饰品", "项链", "手链", "耳环", "戒指", "胸针"),
    ),
    "garden": (
        "garden and plants",
        ("garden", "gardening", "plant", "plants", "planter", "pot", "pots", "flowers"),
        ("花园", "园艺", "植物", "花盆", "鲜花"),
    ),
    "christmas": (
        "christmas decorations",
        ("christmas", "xmas", "festive", "advent"),
        ("圣诞", "圣诞节"),
    ),
    "party": (
        "party supplies",
        ("party", "balloon", "balloons", "bunting", "napkins"),
        ("派对", "聚会", "气球", "彩旗"),
    ),
    "beauty": (
        "soap, bath and beauty",
        ("soap", "bath", "beauty", "lotion", "fragrance", "perfume"),
        ("香皂", "沐浴", "美妆", "护肤", "香水"),
    ),
    "storage": (
        "storage boxes and tins",
        ("storage", "box", "boxes", "tin", "tins", "basket", "baskets", "jar", "jars"),
        ("收纳", "盒子", "铁盒", "篮子", "罐子"),
    ),
}

# recipient -> (English words, Chinese words); a specific relation wins over "her"/"him".
RECIPIENT_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mother": (
        ("mother", "mum", "mom", "mummy", "mommy", "mother-in-law"),
        ("妈妈", "母亲", "婆婆", "岳母", "老妈", "妈"),
    ),
    "father": (("father", "dad", "daddy", "father-in-law"), ("爸爸", "父亲", "岳父", "公公", "老爸", "爸")),
    "wife": (("wife",), ("老婆", "妻子", "太太")),
    "husband": (("husband",), ("老公", "丈夫")),
    "partner": (
        ("partner", "girlfriend", "boyfriend", "fiance", "fiancee"),
        ("女朋友", "男朋友", "对象", "爱人"),
    ),
    "child": (
        ("child", "children", "kid", "kids", "son", "daughter", "baby", "niece", "nephew", "toddler"),
        ("孩子", "小孩", "儿子", "女儿", "宝宝", "儿童", "侄子", "侄女"),
    ),
    "grandparent": (
        ("grandmother", "grandma", "granny", "nan", "grandfather", "grandpa", "grandparents"),
        ("奶奶", "外婆", "姥姥", "爷爷", "外公", "姥爷", "长辈", "老人"),
    ),
    "sibling": (("sister", "brother", "sis"), ("姐姐", "妹妹", "哥哥", "弟弟", "姐妹", "兄弟")),
    "friend": (
        ("friend", "friends", "neighbour", "neighbor", "host"),
        ("朋友", "闺蜜", "邻居", "好友", "同学"),
    ),
    "colleague": (
        ("colleague", "boss", "coworker", "teacher", "client"),
        ("同事", "老师", "领导", "老板", "客户"),
    ),
}
PRONOUNS: dict[str, tuple[str, ...]] = {"her": ("her",), "him": ("him",)}
# Chinese pronouns as recipients only after a verb of giving ("送她", "给他买").
PRONOUNS_ZH: dict[str, tuple[str, ...]] = {"her": ("她",), "him": ("他",)}
GIVING_ZH = ("送给", "送", "给", "买给")

OCCASION_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "birthday": (("birthday", "bday"), ("生日",)),
    "wedding": (("wedding", "engagement"), ("婚礼", "结婚", "订婚")),
    "christmas": (("christmas", "xmas"), ("圣诞", "圣诞节")),
    "anniversary": (("anniversary",), ("纪念日",)),
    "housewarming": (("housewarming", "new home"), ("乔迁", "新家", "搬家")),
    "mothers_day": (("mother's day", "mothers day"), ("母亲节",)),
    "fathers_day": (("father's day", "fathers day"), ("父亲节",)),
    "mid_autumn": (("mid-autumn", "mid autumn", "moon festival"), ("中秋", "中秋节")),
    "graduation": (("graduation",), ("毕业",)),
    "teachers_day": (("teacher's day", "teachers day"), ("教师节",)),
    "valentines": (("valentine", "valentine's"), ("情人节",)),
    "new_year": (
        ("new year", "lunar new year", "chinese new year", "spring festival"),
        ("新年", "春节", "过年", "新春"),
    ),
    "thank_you": (("thank you", "thanks"), ("感谢", "谢礼")),
}
GIFT_WORDS = (
    (
        "gift",
        "gifts",
        "present",
        "presents",
        "gift box",
        "gift set",
        "gift-wrapped",
        "gift wrap",
        "gift wrapping",
    ),
    ("礼物", "礼品", "送礼", "伴手礼", "礼盒", "礼盒装", "礼", "送人", "送给别人"),
)

# Words that refuse what follows them ("不要蜡烛", "no candles"), or what precedes them at a clause's end.
NEGATION_WORDS = (
    ("not", "no", "without", "except", "excluding", "avoid", "nothing", "none", "hate", "dislike", "nor")
    + ("other than", "apart from", "anything but", "but not", "rather not", "no more", "instead of")
    + (
        "don't",
        "dont",
        "do not",
        "doesn't",
        "does not",
        "won't",
        "never",
        "isn't",
        "aren't",
        "is not",
        "are not",
    )
    + ("不要", "别", "别要", "除了", "不含", "不想要", "不需要", "去掉", "不喜欢", "除去", "不用", "不带")
    + ("不想", "不考虑", "排除", "别给", "别推荐", "不买", "不送", "不包括", "不包含", "免了", "别拿")
)
# colour -> (English words, Chinese words), matched in product names and the "colour" attribute.
COLOURS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "red": (("red", "vermilion", "scarlet", "crimson", "burgundy"), ("红色", "红", "朱红", "大红", "酒红")),
    "black": (("black", "ink black"), ("黑色", "黑", "墨黑")),
    "white": (("white", "ivory", "moon white"), ("白色", "白", "月白", "米白")),
    "blue": (("blue", "navy", "indigo"), ("蓝色", "蓝", "黛青", "藏青", "靛蓝")),
    "green": (("green", "pine green", "jade green"), ("绿色", "绿", "松绿", "墨绿")),
    "pink": (("pink", "blush pink", "blush"), ("粉色", "粉红", "粉", "藕粉")),
    "yellow": (("yellow", "mustard"), ("黄色", "黄", "明黄")),
    "amber": (("amber", "orange"), ("琥珀", "琥珀色", "橙色", "橘色")),
    "purple": (("purple", "lilac", "violet"), ("紫色", "紫")),
    "grey": (("grey", "gray"), ("灰色", "灰")),
    "brown": (("brown",), ("棕色", "咖啡色")),
    "gold": (("gold", "golden"), ("金色",)),
    "silver": (("silver",), ("银色",)),
}
# A colour character that starts these words is not a colour ("红茶" is black tea, "白毫" a tea).
NOT_COLOUR_AFTER = ("茶", "包", "毫", "酒", "糖")

# Which concepts suit a gift, by recipient; "default" for an unnamed or unlisted one.
GIFT_CONCEPTS: dict[str, tuple[str, ...]] = {
    "default": ("candles", "home_decor", "jewellery", "bags", "stationery", "beauty", "kitchen"),
    "mother": ("candles", "home_decor", "jewellery", "bags", "beauty", "kitchen", "garden"),
    "grandparent": ("candles", "home_decor", "kitchen", "garden", "beauty"),
    "child": ("toys", "stationery", "party", "bags"),
    "father": ("kitchen", "garden", "stationery", "bags", "home_decor"),
    "colleague": ("stationery", "candles", "kitchen"),
}
OCCASION_CONCEPTS: dict[str, tuple[str, ...]] = {"christmas": ("christmas",), "birthday": ("party",)}


def gift_concepts(recipient: str | None, occasion: str | None) -> tuple[str, ...]:
    """The concepts that suit a gift for this recipient and occasion, most fitting first."""
    base = GIFT_CONCEPTS.get(recipient or "default", GIFT_CONCEPTS["default"])
    extra = OCCASION_CONCEPTS.get(occasion or "", ())
    return tuple(dict.fromkeys(base + extra))


class CategoryMatcher:
    """Maps product concepts and words to a catalog's categories: by name first, then by embedding."""

    def __init__(
        self, catalog: Catalog, encoder: Encoder, min_similarity: float = CATEGORY_MIN_SIMILARITY
    ) -> None:
        self.catalog = catalog
        self.encoder = encoder
        self.min_similarity = min_similarity
        labels = [f"{c} {catalog.category_label(c, 'zh')}".strip() for c in catalog.categories]
        self.terms = [set(name_terms(label)) for label in labels]
        self.zh_labels = [catalog.category_label(c, "zh") for c in catalog.categories]
        self.vectors = np.asarray(encoder.encode(list(catalog.categories)), dtype=np.float32)
        self.memo: dict[str, tuple[str, ...]] = {}

    @classmethod
    def for_catalog(cls, catalog: Catalog, encoder: Encoder) -> CategoryMatcher:
        """The matcher cached on the catalog for this encoder (built on first use)."""
        key = ("category_matcher", id(encoder))
        cached = catalog.memo.get(key)
        if cached is None or cached.encoder is not encoder:
            cached = catalog.memo[key] = cls(catalog, encoder)
        return cached  # type: ignore[no-any-return]

    def by_name(self, words: Sequence[str]) -> tuple[str, ...]:
        """Categories whose name (or Chinese label) shares a word with `words`."""
        # A word names a category when all its terms are in the name ("t-light" does not name "Lights").
        wanted = [set(name_terms(w)) for w in words if w.isascii() and name_terms(w)]
        zh = [w for w in words if w and not w.isascii()]
        hits = [
            c
            for c, terms, label in zip(self.catalog.categories, self.terms, self.zh_labels, strict=True)
            if any(w <= terms for w in wanted)
            or any(w in label or (label in w and not label.isascii()) for w in zh)
        ]
        return tuple(hits)

    def by_meaning(self, text: str) -> tuple[str, ...]:
        """The category closest in meaning to `text`, if close enough (ties within 0.02 kept too)."""
        if len(self.vectors) == 0:
            return ()
        sims = self.vectors @ np.asarray(self.encoder.encode([text]), dtype=np.float32)[0]
        # The bundled model reads English only: a Chinese category name's similarity means nothing.
        sims = np.where([c.isascii() for c in self.catalog.categories], sims, -1.0)
        best = float(sims.max())
        if best < self.min_similarity:
            return ()
        return tuple(c for c, s in zip(self.catalog.categories, sims, strict=True) if s >= best - 0.02)

    def concept(self, concept: str) -> tuple[str, ...]:
        """The catalog categories that carry a lexicon concept."""
        if concept not in self.memo:
            description, en, zh = CONCEPTS[concept]
            self.memo[concept] = self.by_name((concept, *en, *zh)) or self.by_meaning(description)
        return self.memo[concept]

    def phrase(self, phrase: str) -> tuple[str, ...]:
        """The categories a free phrase names ("tableware"), by name, else by meaning."""
        return self.by_name([phrase]) or self.by_meaning(phrase)
