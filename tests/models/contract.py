"""The contract every Recommender must honour; each implementation's test class inherits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from models.dataset import Dataset
from models.recommender import ArtefactError, NotFittedError, Recommender
from models.registry import load_recommender, recommender_class
from tests.models.synthetic import N_ITEMS, NEWCOMER, REBOUGHT, REBUYERS, synthetic_dataset


class RecommenderContract:
    """Subclasses set `method` (the registry name) and may override `make`."""

    method: ClassVar[str]
    rebuys_first: ClassVar[bool] = True  # a member who rebuys one item every visit gets it first
    has_similar_items: ClassVar[bool] = False

    def make(self) -> Recommender:
        return recommender_class(self.method)()

    @pytest.fixture
    def data(self) -> Dataset:
        return synthetic_dataset()

    @pytest.fixture
    def fitted(self, data: Dataset) -> Recommender:
        return self.make().fit(data)

    @pytest.fixture
    def everyone(self, data: Dataset) -> np.ndarray:
        return np.arange(data.n_users)

    def test_registered_under_its_name(self) -> None:
        assert type(self.make()).name == self.method

    def test_shape_range_and_no_duplicates(self, fitted: Recommender, everyone: np.ndarray) -> None:
        for exclude in (False, True):
            recs = fitted.recommend(everyone, 5, exclude_history=exclude)
            assert recs.shape == (len(everyone), 5)
            assert recs.dtype.kind == "i"
            assert ((recs >= -1) & (recs < N_ITEMS)).all()
            for row in recs:
                shown = row[row >= 0]
                assert len(set(shown.tolist())) == len(shown)

    def test_padding_only_at_the_end(self, fitted: Recommender, everyone: np.ndarray) -> None:
        recs = fitted.recommend(everyone, N_ITEMS + 3)
        assert recs.shape == (len(everyone), N_ITEMS + 3)
        assert (recs[:, N_ITEMS:] == -1).all()
        padded = recs == -1
        # once a row is padded it stays padded
        assert (np.maximum.accumulate(padded, axis=1) == padded).all()

    def test_exclude_history_drops_bought_items(
        self, fitted: Recommender, data: Dataset, everyone: np.ndarray
    ) -> None:
        recs = fitted.recommend(everyone, N_ITEMS, exclude_history=True)
        bought = data.user_items.toarray() > 0
        for user, row in zip(everyone, recs, strict=True):
            shown = row[row >= 0]
            assert not bought[user, shown].any()

    def test_scores_agree_with_recommendations(self, fitted: Recommender, everyone: np.ndarray) -> None:
        scores = fitted.score(everyone)
        assert scores.shape == (len(everyone), N_ITEMS)
        assert scores.dtype.kind == "f"
        recs = fitted.recommend(everyone, N_ITEMS)
        for row_scores, row in zip(scores, recs, strict=True):
            shown = row[row >= 0]
            # every recommendable item is listed, best score first, and nothing scored -inf is
            assert len(shown) == int(np.isfinite(row_scores).sum())
            assert (np.diff(row_scores[shown]) <= 0).all()
        with pytest.raises(IndexError):
            fitted.score(np.array([-1]))

    def test_rebuyer_gets_a_first(self, fitted: Recommender) -> None:
        if not self.rebuys_first:
            pytest.skip(f"{self.method} does not rank by the member's own purchase frequency")
        recs = fitted.recommend(np.array(list(REBUYERS)), 3)
        assert (recs[:, 0] == REBOUGHT).all()

    def test_deterministic(self, data: Dataset, everyone: np.ndarray) -> None:
        first = self.make().fit(data).recommend(everyone, 6)
        again = self.make().fit(data).recommend(everyone, 6)
        np.testing.assert_array_equal(first, again)

    def test_save_load_round_trip(self, fitted: Recommender, everyone: np.ndarray, tmp_path: Path) -> None:
        folder = fitted.save(tmp_path / "artefact" / "v1")
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["method"] == self.method
        for name in manifest["arrays"]:
            np.load(folder / f"{name}.npy", allow_pickle=False)  # raises if anything needs pickle
        assert not [p for p in folder.iterdir() if p.suffix not in (".npy", ".json")]
        for loaded in (type(fitted).load(folder), load_recommender(folder)):
            assert type(loaded) is type(fitted)
            assert loaded.get_params() == fitted.get_params()
            for exclude in (False, True):
                np.testing.assert_array_equal(
                    loaded.recommend(everyone, 8, exclude_history=exclude),
                    fitted.recommend(everyone, 8, exclude_history=exclude),
                )
            if self.has_similar_items:
                items = np.arange(N_ITEMS)
                np.testing.assert_array_equal(loaded.similar_items(items, 4), fitted.similar_items(items, 4))

    def test_load_refuses_another_method(self, fitted: Recommender, tmp_path: Path) -> None:
        folder = fitted.save(tmp_path / "artefact")
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["method"] = "something-else"
        (folder / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ArtefactError, match="something-else"):
            type(fitted).load(folder)

    def test_unfitted_and_bad_users_are_refused(self, fitted: Recommender, data: Dataset) -> None:
        with pytest.raises(NotFittedError):
            self.make().recommend(np.array([0]), 3)
        with pytest.raises(IndexError):
            fitted.recommend(np.array([data.n_users]), 3)
        with pytest.raises(ValueError):
            fitted.recommend(np.array([0]), 0)

    def test_newcomer_gets_a_well_formed_row(self, fitted: Recommender) -> None:
        row = fitted.recommend(np.array([NEWCOMER]), 4)[0]
        assert row.shape == (4,)
        assert len(set(row[row >= 0].tolist())) == int((row >= 0).sum())

    def test_similar_items(self, fitted: Recommender) -> None:
        items = np.arange(N_ITEMS)
        if not self.has_similar_items:
            with pytest.raises(NotImplementedError):
                fitted.similar_items(items, 3)
            return
        similar = fitted.similar_items(items, 3)
        assert similar.shape == (N_ITEMS, 3)
        assert not (similar == items[:, None]).any()
        for row in similar:
            shown = row[row >= 0]
            assert len(set(shown.tolist())) == len(shown)
