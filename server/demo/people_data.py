"""Words the demo members, stores and staff notes are made of, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStore:
    """A store of the demo chain; `share` is the part of the members who call it home."""

    code: str
    name: str
    name_en: str
    country: str
    city: str
    timezone: str
    currency: str
    language: str
    share: float
    slug: str


STORES: tuple[DemoStore, ...] = (
    DemoStore("SH-JINGAN", "上海静安店", "Shanghai Jing'an", "China", "上海", "Asia/Shanghai", "CNY", "zh",
              0.34, "sh"),
    DemoStore("BJ-SANLITUN", "北京三里屯店", "Beijing Sanlitun", "China", "北京", "Asia/Shanghai", "CNY",
              "zh", 0.27, "bj"),
    DemoStore("HZ-XIHU", "杭州西湖店", "Hangzhou West Lake", "China", "杭州", "Asia/Shanghai", "CNY", "zh",
              0.21, "hz"),
    DemoStore("LDN-COVENT-GARDEN", "London Covent Garden", "London Covent Garden", "United Kingdom", "London",
              "Europe/London", "GBP", "en", 0.18, "ldn"),
)  # fmt: skip

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "沈", "叶", "苏", "欧阳",
)  # fmt: skip
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "婷", "雪", "慧", "琳", "颖", "欣怡", "梓涵", "雨桐", "佳怡", "诗涵",
    "晓燕", "丹", "思琪", "若曦", "可馨", "美玲", "秀英", "玉兰", "晨曦", "一诺", "紫萱", "梦瑶", "嘉欣",
)  # fmt: skip
GIVEN_MALE = (
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "浩然", "子轩", "宇航", "俊杰", "志强",
    "建华", "文博", "天佑", "思远", "一鸣", "家豪", "晨阳", "国栋", "鹏",
)  # fmt: skip
EN_FEMALE = (
    "Emily", "Olivia", "Sophie", "Charlotte", "Amelia", "Grace", "Hannah", "Lucy", "Chloe", "Isla",
    "Jessica", "Eleanor", "Harriet", "Ruby", "Freya", "Alice", "Rosie", "Imogen", "Zara", "Priya",
)  # fmt: skip
EN_MALE = (
    "James", "Oliver", "Harry", "Thomas", "George", "William", "Jack", "Daniel", "Samuel", "Edward",
    "Henry", "Arthur", "Oscar", "Callum", "Rahul", "Tom", "Ben", "Max",
)  # fmt: skip
EN_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
    "Robinson", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Clarke", "Hughes",
    "Edwards", "Khan", "Lewis", "Harris", "Cooper", "Turner", "Hill", "Ward", "Morris", "Bennett",
)  # fmt: skip
# London customers with a Chinese background, written the way they give it at the till.
PINYIN_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Lin", "Huang", "Zhou", "Wu", "Xu")
PINYIN_GIVEN = ("Mei", "Xin", "Jing", "Yan", "Lei", "Hao", "Yu", "Ting", "Wei", "Lan")

NOTES_ZH = (
    "致电告知新到白茶香薰蜡烛，顾客说周末来店里看看。",
    "微信发送中秋月饼礼盒预订信息，顾客预订了两盒。",
    "到店试用护手霜，喜欢桂花香味，下次推荐同系列身体乳。",
    "顾客咨询青瓷茶具套装的库存，已帮她预留一套。",
    "生日月提醒：已发送生日优惠券，顾客表示感谢。",
    "微信回访上次购买的真丝围巾，顾客很满意，想要同款别的颜色。",
    "顾客给母亲挑选生日礼物，推荐了淡水珍珠项链。",
    "电话未接通，稍后再联系。",
    "新春前来店选购红包和生肖摆件，提到公司需要二十份礼品。",
    "顾客反映上次的蜡烛燃烧不均匀，已安排换货。",
)
NOTES_EN = (
    "Called about the new winter candle collection; she will drop in on Saturday.",
    "Face to face: looking for a housewarming gift, liked the celadon vase, will come back payday.",
    "WeChat message with photos of the new jasmine tea tins; asked us to hold two.",
    "Birthday month: sent the birthday voucher, thanked us.",
    "Returned a chipped mug last week; called to check the replacement arrived fine.",
    "Asked for Christmas gift ideas for her team, around 30 pounds each.",
    "No answer, left a voicemail about the advent calendars.",
    "Regular Earl Grey buyer; told him the 250 g tins are back in stock.",
)
CHANNELS = ("call", "wechat", "face_to_face")

# The staff every demo store with a team gets, as (role key, Chinese name, English name).
STAFF_NAMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sh": (("manager", "陈静", "Chen Jing"), ("clerk1", "李娜", "Li Na"), ("clerk2", "张伟", "Zhang Wei"),
           ("vip", "刘婷", "Liu Ting")),
    "bj": (("manager", "赵磊", "Zhao Lei"), ("clerk1", "孙丽", "Sun Li"), ("clerk2", "周杰", "Zhou Jie"),
           ("vip", "吴敏", "Wu Min")),
    "ldn": (("manager", "Sarah Mitchell", "Sarah Mitchell"), ("clerk1", "Tom Baker", "Tom Baker"),
            ("clerk2", "Aisha Rahman", "Aisha Rahman"), ("vip", "Grace Lin", "Grace Lin")),
}  # fmt: skip
