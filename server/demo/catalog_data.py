"""Words the demo catalog is built from: gift and homeware categories, items and variants in zh and en."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """A merchandise category with the share of sales it draws and whether people rebuy it."""

    key: str
    zh: str
    en: str
    popularity: float
    consumable: bool
    target: int  # how many products the demo catalog carries in it


@dataclass(frozen=True)
class Item:
    """A kind of product, priced in CNY between `low` and `high`; `season` limits when it sells."""

    zh: str
    en: str
    low: int
    high: int
    season: str | None = None


@dataclass(frozen=True)
class Variant:
    """A colour, scent, material or size that turns an item into a product of its own."""

    zh: str
    en: str
    attribute: str
    value: str


CATEGORIES: tuple[Category, ...] = (
    Category("candles", "香薰蜡烛", "Candles & fragrance", 1.4, True, 40),
    Category("lanterns", "灯笼灯饰", "Lanterns & lights", 0.8, False, 30),
    Category("ceramics", "陶瓷餐具", "Ceramics & tableware", 1.1, False, 40),
    Category("textiles", "家纺布艺", "Textiles", 0.8, False, 32),
    Category("stationery", "文具", "Stationery", 0.9, True, 32),
    Category("jewellery", "饰品", "Jewellery", 0.6, False, 30),
    Category("seasonal", "节日礼品", "Seasonal gifts", 0.7, False, 30),
    Category("tea", "茶叶", "Tea", 1.2, True, 36),
    Category("skincare", "护肤", "Skincare", 0.9, True, 30),
)

_SCENTS = (
    Variant("白茶", "White Tea", "scent", "white tea"),
    Variant("檀木", "Sandalwood", "scent", "sandalwood"),
    Variant("无花果", "Fig", "scent", "fig"),
    Variant("雪松", "Cedarwood", "scent", "cedarwood"),
    Variant("玫瑰", "Rose", "scent", "rose"),
    Variant("桂花", "Osmanthus", "scent", "osmanthus"),
    Variant("柚子", "Pomelo", "scent", "pomelo"),
    Variant("薰衣草", "Lavender", "scent", "lavender"),
    Variant("茉莉", "Jasmine", "scent", "jasmine"),
)
_COLOURS = (
    Variant("朱红", "Vermilion", "colour", "red"),
    Variant("墨黑", "Ink Black", "colour", "black"),
    Variant("月白", "Moon White", "colour", "white"),
    Variant("黛青", "Indigo", "colour", "blue"),
    Variant("琥珀", "Amber", "colour", "amber"),
    Variant("松绿", "Pine Green", "colour", "green"),
    Variant("藕粉", "Blush Pink", "colour", "pink"),
)
_CLAYS = (
    Variant("青瓷", "Celadon", "material", "celadon"),
    Variant("骨瓷", "Bone China", "material", "bone china"),
    Variant("粗陶", "Stoneware", "material", "stoneware"),
    Variant("白瓷", "White Porcelain", "material", "porcelain"),
    Variant("汝窑", "Ru-ware", "material", "ru-ware glaze"),
)
_CLOTHS = (
    Variant("亚麻", "Linen", "material", "linen"),
    Variant("棉麻", "Cotton-linen", "material", "cotton-linen"),
    Variant("羊毛", "Wool", "material", "wool"),
    Variant("真丝", "Silk", "material", "silk"),
    Variant("扎染", "Tie-dye", "material", "tie-dyed cotton"),
)
_METALS = (
    Variant("纯银", "Sterling Silver", "material", "sterling silver"),
    Variant("黄铜", "Brass", "material", "brass"),
    Variant("玫瑰金", "Rose Gold", "material", "rose gold plated"),
    Variant("和田玉", "Hetian Jade", "material", "jade"),
    Variant("淡水珍珠", "Freshwater Pearl", "material", "pearl"),
)
_TEA_SIZES = (
    Variant("50克", "50 g", "size", "50g"),
    Variant("100克", "100 g", "size", "100g"),
    Variant("罐装250克", "250 g Tin", "size", "250g tin"),
    Variant("礼盒装", "Gift Box", "size", "gift box"),
)
_PAPERS = (
    Variant("宣纸", "Xuan Paper", "material", "xuan paper"),
    Variant("牛皮纸", "Kraft", "material", "kraft paper"),
    Variant("布面", "Cloth-bound", "material", "cloth"),
    Variant("烫金", "Gold-foil", "finish", "gold foil"),
    Variant("水彩", "Watercolour", "finish", "watercolour"),
)
_DESIGNS = (
    Variant("龙年", "Year of the Dragon", "design", "dragon"),
    Variant("蛇年", "Year of the Snake", "design", "snake"),
    Variant("马年", "Year of the Horse", "design", "horse"),
    Variant("锦鲤", "Koi", "design", "koi"),
    Variant("雪花", "Snowflake", "design", "snowflake"),
    Variant("玉兔", "Jade Rabbit", "design", "rabbit"),
)

ITEMS: dict[str, tuple[tuple[Item, ...], tuple[Variant, ...]]] = {
    "candles": (
        (
            Item("香薰蜡烛", "Scented Candle", 89, 329),
            Item("旅行香薰蜡烛", "Travel Candle", 49, 99),
            Item("藤条扩香", "Reed Diffuser", 129, 399),
            Item("香薰精油", "Essential Oil", 69, 199),
            Item("蜡烛礼盒", "Candle Gift Set", 199, 499),
        ),
        _SCENTS,
    ),
    "lanterns": (
        (
            Item("纸灯笼", "Paper Lantern", 39, 129),
            Item("铁艺灯笼", "Metal Lantern", 129, 399),
            Item("LED串灯", "LED String Lights", 59, 189),
            Item("藤编台灯", "Rattan Table Lamp", 299, 699),
            Item("玻璃烛台", "Glass Tea-light Holder", 29, 99),
        ),
        _COLOURS,
    ),
    "ceramics": (
        (
            Item("马克杯", "Mug", 49, 129),
            Item("茶杯", "Teacup", 39, 169),
            Item("餐盘", "Dinner Plate", 59, 199),
            Item("饭碗", "Rice Bowl", 35, 99),
            Item("花瓶", "Vase", 129, 599),
            Item("茶壶", "Teapot", 159, 499),
            Item("筷架套装", "Chopstick Rest Set", 39, 99),
            Item("茶具套装", "Tea Set", 299, 899),
        ),
        _CLAYS,
    ),
    "textiles": (
        (
            Item("抱枕套", "Cushion Cover", 69, 199),
            Item("桌布", "Tablecloth", 129, 399),
            Item("围巾", "Scarf", 159, 699),
            Item("托特包", "Tote Bag", 59, 199),
            Item("盖毯", "Throw", 299, 899),
            Item("茶巾", "Tea Towel", 29, 79),
            Item("束口袋", "Drawstring Pouch", 29, 89),
        ),
        _CLOTHS,
    ),
    "stationery": (
        (
            Item("笔记本", "Notebook", 29, 129),
            Item("钢笔", "Fountain Pen", 99, 399),
            Item("贺卡", "Greeting Card", 9, 29),
            Item("书签", "Bookmark", 12, 49),
            Item("手账胶带", "Washi Tape", 9, 39),
            Item("明信片套装", "Postcard Set", 19, 59),
            Item("信纸信封套装", "Letter Set", 29, 89),
        ),
        _PAPERS,
    ),
    "jewellery": (
        (
            Item("耳钉", "Stud Earrings", 99, 599),
            Item("项链", "Necklace", 199, 1299),
            Item("手链", "Bracelet", 159, 999),
            Item("戒指", "Ring", 129, 799),
            Item("发簪", "Hair Pin", 79, 299),
            Item("胸针", "Brooch", 99, 399),
        ),
        _METALS,
    ),
    "seasonal": (
        (
            Item("月饼礼盒", "Mooncake Gift Box", 168, 398, "mid_autumn"),
            Item("兔子灯", "Rabbit Lantern", 49, 129, "mid_autumn"),
            Item("新春红包套装", "Red Envelope Set", 19, 59, "cny"),
            Item("生肖摆件", "Zodiac Figurine", 89, 299, "cny"),
            Item("春联礼盒", "Spring Couplet Set", 39, 99, "cny"),
            Item("圣诞挂饰", "Christmas Ornament", 29, 99, "christmas"),
            Item("圣诞礼盒", "Christmas Gift Box", 199, 499, "christmas"),
            Item("降临节日历", "Advent Calendar", 159, 399, "christmas"),
        ),
        _DESIGNS,
    ),
    "tea": (
        (
            Item("西湖龙井", "Longjing Green Tea", 88, 688),
            Item("正山小种", "Lapsang Souchong", 68, 388),
            Item("白毫银针", "Silver Needle White Tea", 98, 598),
            Item("安溪铁观音", "Tieguanyin Oolong", 68, 398),
            Item("普洱茶饼", "Pu'er Tea Cake", 128, 698),
            Item("茉莉花茶", "Jasmine Tea", 39, 198),
            Item("英式早餐茶", "English Breakfast Tea", 39, 168),
            Item("伯爵红茶", "Earl Grey", 39, 168),
            Item("桂花乌龙", "Osmanthus Oolong", 58, 268),
        ),
        _TEA_SIZES,
    ),
    "skincare": (
        (
            Item("护手霜", "Hand Cream", 49, 159),
            Item("润唇膏", "Lip Balm", 29, 89),
            Item("面霜", "Face Cream", 159, 399),
            Item("身体乳", "Body Lotion", 99, 259),
            Item("手工皂", "Handmade Soap", 29, 79),
            Item("沐浴油", "Bath Oil", 99, 259),
        ),
        _SCENTS,
    ),
}
