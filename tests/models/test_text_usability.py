"""A catalogue the embedding model cannot read (Chinese under English MiniLM, SKU codes only) loses nothing
of what purchase history gives: the same repeat and co-purchase candidates, the same Recall@10."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from models.aisle import AisleRecommender
from models.candidates import cross_sell, replenish
from models.dataset import Dataset
from models.encoder import BUNDLED_MODEL_ID, TextEncoder, model_languages
from models.metrics import recall_at_k
from models.purchase_patterns import CoPurchase, RepurchaseCycles
from models.serving.served import ServedModel, baskets_of
from models.text_usability import assess, encoder_languages, text_language
from tests.models.synthetic import N_ITEMS, synthetic_dataset
from tests.models.test_aisle import FakeEncoder
from tests.models.three_catalogues import (
    EnglishOnlyEncoder,
    catalogues,
    facts,
    lines,
    product_texts,
    visits,
)

EN = frozenset({"en"})


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Tealight set of 12 - candles", "en"),
        ("Oolong tea 乌龙", "en"),
        ("安溪铁观音（罐装250克）", "zh"),
        ("铁观音 - tea", "zh"),  # one Han character says about as much as three letters
        ("TEA-0042", "code"),
        ("SKU 10023-B", "code"),
        ("AB12-XL 250g", "code"),
        ("", "code"),
        ("Чай черный", "other"),
    ],
)
def test_what_a_product_text_is_written_in(text: str, language: str) -> None:
    assert text_language(text) == language


def test_category_labels_do_not_make_a_code_readable() -> None:
    assert text_language("TEA-0042 - tea") == "en"
    assert text_language("TEA-0042 - tea", ignore={"tea"}) == "code"
    assert assess(["HD-0042 - Home Decor"], EN, ignore=["Home Decor"]).languages == {"code": 1}


def test_the_bundled_model_reads_english_only_and_a_multilingual_one_reads_any(tmp_path: Path) -> None:
    assert TextEncoder().languages == EN  # known without loading the model
    assert model_languages(BUNDLED_MODEL_ID) == EN
    assert model_languages("/models/paraphrase-multilingual-MiniLM-L12-v2") is None
    assert model_languages("/models/text2vec-base-chinese") == frozenset({"zh", "en"})
    unnamed = tmp_path / "our-model"
    unnamed.mkdir()
    assert model_languages(str(unnamed)) == EN
    (unnamed / "config.json").write_text(json.dumps({"vocab_size": 250037}))  # an XLM-R vocabulary
    assert model_languages(str(unnamed)) is None
    assert encoder_languages(TextEncoder(unnamed, cache_dir=None)) is None
    assert encoder_languages(EnglishOnlyEncoder()) == EN


def test_modes_follow_the_share_of_readable_texts() -> None:
    english, chinese, codes = "Jasmine green tea", "茉莉绿茶", "TEA-1001"
    assert assess([english] * 10, EN).mode == "text+history"
    assert assess([chinese] * 10, None).mode == "text+history"  # a multilingual model reads it
    down = assess([english] * 6 + [codes] * 4, EN)
    assert down.mode == "history-led" and 0 < down.weight < 1
    off = assess([chinese] * 9 + [english], EN, "all-MiniLM-L6-v2")
    assert (off.mode, off.weight, off.score) == ("history-only", 0.0, 0.1)
    assert off.describe().startswith("recommender mode history-only: 10% of 10 product texts readable by")
    assert assess([codes] * 10, None).mode == "history-only"  # no model reads a SKU


def history_fixture() -> tuple[list, CoPurchase, RepurchaseCycles, list[np.ndarray]]:
    members = visits()
    history = [own[:-1] for own in members]
    keys, member_keys, items, days = lines(history)
    copurchase = CoPurchase.from_lines(keys, items)
    cycles = RepurchaseCycles.from_lines(member_keys, items, days)
    truth = [np.array(own[-1][1]) for own in members]
    return members, copurchase, cycles, truth


def test_history_candidates_are_identical_across_the_three_catalogues() -> None:
    members, copurchase, cycles, _ = history_fixture()
    seen: dict[str, list[tuple[int, float, str]]] = {}
    for name, catalog in catalogues().items():
        found = []
        for m in range(0, len(members), 7):
            member, today = facts(m, members[m][:-1]), members[m][-1][0]
            found += [(s.item_id, s.score, s.kind) for s in replenish(member, catalog, today, cycles)]
            found += [(s.item_id, s.score, s.kind) for s in cross_sell(member, catalog, copurchase, today)]
        seen[name] = found
    assert len(seen["english"]) > 100
    assert seen["chinese"] == seen["english"] and seen["sku"] == seen["english"]


def served_lists(name: str, use_text: bool = True) -> tuple[float, np.ndarray]:
    """Recall@10 and the top-10 lists of the served model (fitted on every member's visits but the
    last, ranking each member on the day of the held-out one) over the named catalogue."""
    members = visits()
    catalog = catalogues()[name]
    history = [[(day.toordinal(), catalog.rows(items)) for day, items in own[:-1]] for own in members]
    dataset = Dataset(
        baskets_of(history),
        np.array([f"m{m}" for m in range(len(members))]),
        catalog.ids.astype(str),
        np.array(catalog.names["en"]),  # what a trained version reads: names, not category codes
    )
    model = AisleRecommender(use_text=use_text, encoder=EnglishOnlyEncoder()).fit(dataset)
    users = np.arange(len(members))
    days = np.array([own[-1][0].toordinal() for own in members])
    lists = ServedModel(name, model).rank(dataset.baskets, users, 10, days=days)
    ranked = np.full((len(members), 10), -1, dtype=np.int64)
    for m, found in enumerate(lists):
        ranked[m, : len(found.items)] = catalog.ids[found.items]
    return recall_at_k(ranked, [np.array(own[-1][1]) for own in members], 10), ranked


def test_unreadable_catalogues_keep_the_history_based_recall() -> None:
    assert [assessed_weight(n) for n in ("english", "chinese", "sku")] == [1.0, 0.0, 0.0]
    recall, history_only = served_lists("english", use_text=False)
    assert recall > 0.5
    for name in ("chinese", "sku"):
        np.testing.assert_array_equal(served_lists(name)[1], history_only)  # text off: the history-only lists
    assert not np.array_equal(served_lists("english")[1], history_only)  # readable text does change them


def assessed_weight(name: str) -> float:
    catalog = catalogues()[name]
    usability = assess(
        product_texts(catalog), encoder_languages(EnglishOnlyEncoder()), ignore=catalog.categories
    )
    return usability.weight


def named(data: Dataset, names: list[str]) -> Dataset:
    return dataclasses.replace(data, item_texts=np.array(names, dtype=str))


def test_the_offline_model_switches_text_taste_off_for_unreadable_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = synthetic_dataset()
    without_text = AisleRecommender(use_text=False, encoder=FakeEncoder()).fit(data)
    users = np.arange(data.n_users)
    for names in ([f"商品{i}号茶" for i in range(N_ITEMS)], [f"SKU-{1000 + i}" for i in range(N_ITEMS)]):
        encoder = FakeEncoder()
        with caplog.at_level(logging.INFO, logger="models.aisle"):
            model = AisleRecommender(encoder=encoder).fit(named(data, names))
        assert encoder.calls == 0 and not model.text_vectors.any()
        assert model.text_usability.mode == "history-only"
        assert "history-only" in caplog.text
        np.testing.assert_array_equal(model.recommend(users, 10), without_text.recommend(users, 10))
    english = AisleRecommender(encoder=FakeEncoder()).fit(
        named(data, [f"green tea {i}" for i in range(N_ITEMS)])
    )
    assert english.text_usability.mode == "text+history" and english.text_vectors.any()


def test_a_big_catalogue_is_read_in_a_sample() -> None:
    big = assess(["茉莉绿茶", "Green tea"] * 6000, EN)
    assert big.texts == 12000 and sum(big.languages.values()) == 5000
    assert abs(big.score - 0.5) < 0.02
    assert "of 12000 product texts (a sample of 5000)" in big.describe()
