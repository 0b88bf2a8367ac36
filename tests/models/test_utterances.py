"""The conversation understands the chain's own catalogue in Chinese and English: the utterance test set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.conversation import respond
from models.segment import tokens
from models.vocabulary import CatalogVocabulary
from tests.models.clerk_shop import FakeEncoder, shop_catalog, shop_index
from tests.models.tea_shop import tea_shop
from tests.models.utterance_cases import load_cases, score, talk

CASES = load_cases()
REQUIRED_SHARE = 0.95


def test_the_set_is_large_and_bilingual() -> None:
    langs = [case["lang"] for case in CASES for _ in case["turns"]]
    assert len(langs) >= 150
    assert langs.count("zh") >= 0.4 * len(langs) and langs.count("en") >= 0.4 * len(langs)
    assert langs.count("mixed") >= 5


def _marked(case: dict[str, Any]) -> Any:
    """A case the parser is known to miss (its "known_miss" says why) is expected to fail, strictly."""
    if "known_miss" in case:
        return pytest.param(
            case, id=case["id"], marks=pytest.mark.xfail(strict=True, reason=case["known_miss"])
        )
    return pytest.param(case, id=case["id"])


@pytest.mark.parametrize("case", [_marked(c) for c in CASES])
def test_utterance(case: dict[str, Any]) -> None:
    for utterance, got, want in talk(case):
        assert got == want, (utterance, {k: (got[k], want[k]) for k in want if got[k] != want[k]})


def test_share_parsed_exactly() -> None:
    figures = score(CASES)
    assert figures["parsed_exactly"] >= REQUIRED_SHARE, figures
    assert figures["zh"] >= REQUIRED_SHARE and figures["en"] >= REQUIRED_SHARE, figures


def test_a_kind_the_catalogue_lacks_is_said_not_swapped_for_jewellery() -> None:
    catalog, encoder = shop_catalog(), FakeEncoder()
    index = shop_index(catalog, encoder)
    for utterance, word in (("围巾", "围巾"), ("a tea gift under 20", "tea")):
        turn = respond(None, [], utterance, catalog=catalog, index=index, encoder=encoder)
        assert turn.suggestions == () and turn.constraints.unmatched == (word,)
        assert word in turn.message and "has nothing for" in turn.message
    turn = respond(None, [], "围巾", catalog=catalog, index=index, encoder=encoder, lang="zh")
    assert turn.message == "目录中没有“围巾”相关的商品。"


def test_chinese_requests_find_the_chains_tea_scarves_and_ceramics() -> None:
    catalog, encoder = tea_shop(), FakeEncoder()
    index = shop_index(catalog, encoder)
    for utterance, category in (("普洱", "tea"), ("围巾", "textiles"), ("陶瓷", "ceramics"), ("红茶", "tea")):
        turn = respond(None, [], utterance, catalog=catalog, index=index, encoder=encoder)
        assert turn.suggestions and {catalog.category(s.item_id) for s in turn.suggestions} == {category}
    black_tea = respond(None, [], "红茶", catalog=catalog, index=index, encoder=encoder)
    assert {catalog.name(s.item_id, "zh") for s in black_tea.suggestions} >= {"伯爵红茶（50克）"}


def test_refusing_a_kind_within_a_category_removes_only_its_items() -> None:
    catalog, encoder = tea_shop(), FakeEncoder()
    index = shop_index(catalog, encoder)
    first = respond(None, [], "茶叶", catalog=catalog, index=index, encoder=encoder, k=20)
    second = respond(None, [first], "不要红茶", catalog=catalog, index=index, encoder=encoder, k=20)
    names = [catalog.name(s.item_id, "zh") for s in second.suggestions]
    assert names and all(catalog.category(s.item_id) == "tea" for s in second.suggestions)
    assert not any("红茶" in n for n in names) and any("普洱" in n for n in names)


def test_colours_filter_by_name() -> None:
    catalog, encoder = tea_shop(), FakeEncoder()
    index = shop_index(catalog, encoder)
    turn = respond(None, [], "红色的灯笼", catalog=catalog, index=index, encoder=encoder)
    assert turn.suggestions and all(
        catalog.name(s.item_id, "zh").startswith("朱红") for s in turn.suggestions
    )


def test_catalogue_words_are_taught_to_the_segmenter() -> None:
    CatalogVocabulary.for_catalog(tea_shop())
    assert "普洱" in tokens("有没有普洱") and "红茶" in tokens("给他买点红茶")
    assert tokens("不要 candles, scarves") == ["不要", "candle", ",", "scarf"]


def test_the_segmenter_loads_quietly() -> None:
    code = "from models.segment import tokens; print(tokens('普洱茶饼'))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        check=True,
    )
    assert done.stderr == "" and "普洱" in done.stdout
