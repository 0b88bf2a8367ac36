"""Product siblings in the explore-only ranker: their known answer, an all-items list untouched by
them, and versions saved with and without them loading and serving alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.aisle import AisleRecommender
from models.aisle_features import EXPLORE
from models.dataset import Dataset
from models.siblings import sibling_items
from tests.models.test_aisle import FakeEncoder, with_texts


def _variants() -> Dataset:
    """300 members, each with a favourite among 60 items: 20 products in 3 colours."""
    rng = np.random.default_rng(7)
    favourite = rng.integers(0, 30, size=300)
    sequences = [
        [[int(favourite[m])] + rng.integers(0, 60, size=3).tolist() for _ in range(int(rng.integers(3, 7)))]
        for m in range(300)
    ]
    colours = ["RED", "BLUE", "PINK"] * 20
    texts = [f"{colour} BOX{i // 3} TIN{i // 3}" for i, colour in zip(range(60), colours, strict=True)]
    return with_texts(Dataset.from_baskets(sequences, n_items=60), dict(enumerate(texts)))


def test_siblings_differ_in_one_word() -> None:
    texts = ["PINK PAPER PARASOL", "BLUE PAPER PARASOL", "PAPER PARASOL", "RED SPOTTY MUG", "", "杯子"]
    siblings = sibling_items(texts).toarray()
    assert siblings[0, 1] == siblings[1, 0] == 1
    # two words are too few to call the rest a product; other lengths, empty and unspaced text: none
    assert siblings[2].sum() == siblings[3].sum() == siblings[4].sum() == siblings[5].sum() == 0
    assert np.trace(siblings) == 0


def test_siblings_change_the_explore_list_only(tmp_path: Path) -> None:
    data = _variants()
    users, days = np.arange(300), np.full(300, 40)
    off = AisleRecommender(encoder=FakeEncoder(), trees=20, explore_siblings=False).fit(data)
    on = AisleRecommender(encoder=FakeEncoder(), trees=20, explore_siblings=True).fit(data)
    assert on._fitted_signals().items.siblings.nnz == 120  # 20 products of 3 colours, 2 siblings each
    np.testing.assert_array_equal(
        on.ranking_scores(users, False, days), off.ranking_scores(users, False, days)
    )
    assert len(on.explore_weights) == len(EXPLORE) + 1 and on.explore_weights[-1] != 0
    assert not np.array_equal(on.ranking_scores(users, True, days), off.ranking_scores(users, True, days))
    loaded = AisleRecommender.load(on.save(tmp_path / "on"))
    assert loaded.get_params()["explore_siblings"] is True
    for exclude in (False, True):
        np.testing.assert_array_equal(
            loaded.ranking_scores(users, exclude, days), on.ranking_scores(users, exclude, days)
        )
        np.testing.assert_allclose(
            on.score_baskets(data.baskets, users, days, exclude),
            on.ranking_scores(users, exclude, days),
            rtol=1e-6,
        )


def test_a_version_saved_before_siblings_serves_as_before(tmp_path: Path) -> None:
    data = _variants()
    users, days = np.arange(300), np.full(300, 40)
    old = AisleRecommender(encoder=FakeEncoder(), trees=20, explore_siblings=False).fit(data)
    folder = old.save(tmp_path / "old")
    # as an older version wrote it: no explore_siblings in its manifest (now on by default), no sibling arrays
    manifest_path = next(p for p in folder.iterdir() if p.suffix == ".json")
    manifest = json.loads(manifest_path.read_text())
    del manifest["params"]["explore_siblings"]
    for key in ("model.items.sibling_indptr", "model.items.sibling_indices"):
        manifest["arrays"].remove(key)
        (folder / f"{key}.npy").unlink()
    manifest_path.write_text(json.dumps(manifest))
    loaded = AisleRecommender.load(folder)
    assert loaded.get_params()["explore_siblings"] is False
    for exclude in (False, True):
        np.testing.assert_array_equal(
            loaded.ranking_scores(users, exclude, days), old.ranking_scores(users, exclude, days)
        )


def test_without_text_the_sibling_column_is_zero() -> None:
    data = _variants()
    plain = AisleRecommender(use_text=False, trees=20, explore_siblings=True).fit(data)
    assert plain._fitted_signals().items.siblings.nnz == 0
    assert np.isfinite(plain.explore_score(np.arange(300))).any(axis=1).all()
