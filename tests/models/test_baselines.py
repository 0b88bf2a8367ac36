"""Each baseline runs the contract suite plus the known answers of its own method."""

from __future__ import annotations

import numpy as np
import pytest

from models.baselines.als import ALS
from models.baselines.cooccurrence import ItemCooccurrence
from models.baselines.tifu_knn import TifuKnn, tifu_vectors
from models.dataset import Dataset
from models.recommender import Recommender
from models.registry import create
from tests.models.contract import RecommenderContract
from tests.models.synthetic import (
    BEST_SELLER,
    HALF_PAIR,
    NEVER_BOUGHT,
    NEWCOMER,
    PAIR_LEFT,
    PAIR_RIGHT,
    REBOUGHT,
)


class TestGlobalTopFreq(RecommenderContract):
    method = "g-topfreq"
    rebuys_first = False

    def test_everyone_gets_the_best_sellers(self, fitted: Recommender, everyone: np.ndarray) -> None:
        recs = fitted.recommend(everyone, 4)
        assert (recs[:, 0] == BEST_SELLER).all()
        assert (recs == recs[0]).all()
        assert NEVER_BOUGHT not in fitted.recommend(everyone[:1], 13)


class TestPersonalTopFreq(RecommenderContract):
    method = "p-topfreq"

    def test_only_own_items_then_padding(self, fitted: Recommender, data: Dataset) -> None:
        row = fitted.recommend(np.array([HALF_PAIR]), 6)[0]
        # bought 1 twice (last on day 2), 4, 5, 6 once (6 most recently, then 5, then 4), 3 once on day 3
        assert row.tolist() == [PAIR_LEFT, BEST_SELLER, 6, 5, 4, -1]
        assert (fitted.recommend(np.array([NEWCOMER]), 3) == -1).all()

    def test_nothing_new_to_offer(self, fitted: Recommender, everyone: np.ndarray) -> None:
        assert (fitted.recommend(everyone, 5, exclude_history=True) == -1).all()


class TestGlobalPersonalTopFreq(RecommenderContract):
    method = "gp-topfreq"

    def test_personal_first_then_global(self, fitted: Recommender, data: Dataset) -> None:
        personal = create("p-topfreq").fit(data).recommend(np.array([HALF_PAIR]), 5)[0]
        row = fitted.recommend(np.array([HALF_PAIR]), 8)[0]
        assert row[:5].tolist() == personal.tolist()
        # then the best sellers the member has not bought: the rebought item and the pair's right one
        assert set(row[5:7].tolist()) == {REBOUGHT, PAIR_RIGHT}
        assert (row >= 0).all()

    def test_explore_list_is_the_global_one(self, fitted: Recommender, data: Dataset) -> None:
        users = np.arange(data.n_users)
        global_list = create("g-topfreq").fit(data).recommend(users, 5, exclude_history=True)
        np.testing.assert_array_equal(fitted.recommend(users, 5, exclude_history=True), global_list)


class TestTifuKnn(RecommenderContract):
    method = "tifu-knn"

    @pytest.mark.parametrize(
        ("group_size", "within_decay", "group_decay"),
        [(6, 0.9, 1.0), (3, 1.0, 0.7)],
        ids=["one group, decay within", "two groups, decay across"],
    )
    def test_recent_purchases_outweigh_old_ones(
        self, group_size: int, within_decay: float, group_decay: float
    ) -> None:
        # item 1 in the three oldest baskets, item 2 in the three newest: equal counts, decay decides
        data = Dataset.from_baskets([[[1]] * 3 + [[2]] * 3, [[1, 2]] * 3], n_items=3)
        model = TifuKnn(1, group_size, within_decay, group_decay, alpha=1.0).fit(data)
        assert model.recommend(np.array([0]), 2)[0].tolist() == [2, 1]
        flat = TifuKnn(1, group_size, 1.0, 1.0, alpha=1.0).fit(data)
        scores = flat.score(np.array([0]))[0]
        assert scores[1] == pytest.approx(scores[2])  # without decay the two are equal

    def test_group_weights_by_hand(self) -> None:
        # 3 baskets in groups of 2 counted from the newest: {b1} (the short oldest group), {b2, b3}.
        # b3: 0.9^0 / 2 * 0.7^0 / 2 = 0.25; b2: 0.9^1 / 2 / 2 = 0.225; b1: 0.9^0 / 1 * 0.7^1 / 2 = 0.35
        data = Dataset.from_baskets([[[0], [1], [2]]], n_items=3)
        vector = tifu_vectors(data, group_size=2, within_decay=0.9, group_decay=0.7).toarray()[0]
        np.testing.assert_allclose(vector, [0.35, 0.225, 0.25])

    def test_neighbours_suggest_new_items(self, fitted: Recommender) -> None:
        # the member who bought the pair's left item resembles the pair buyers, who add the right one
        row = fitted.recommend(np.array([HALF_PAIR]), 3, exclude_history=True)[0]
        assert PAIR_RIGHT in row.tolist()

    def test_parameters_are_checked(self) -> None:
        with pytest.raises(ValueError):
            TifuKnn(within_decay=1.5)
        with pytest.raises(ValueError):
            TifuKnn(k_neighbors=0)


class TestItemCooccurrence(RecommenderContract):
    method = "cooccurrence"
    rebuys_first = False  # it ranks partners of past items, not the items themselves
    has_similar_items = True

    def test_pair_partner_found(self, fitted: Recommender) -> None:
        assert fitted.similar_items(np.array([PAIR_LEFT]), 1)[0, 0] == PAIR_RIGHT
        assert fitted.recommend(np.array([HALF_PAIR]), 1, exclude_history=True)[0, 0] == PAIR_RIGHT

    def test_conditional_normalisation(self, data: Dataset) -> None:
        model = ItemCooccurrence(normalisation="conditional").fit(data)
        assert model.similar_items(np.array([PAIR_RIGHT]), 1)[0, 0] == PAIR_LEFT
        with pytest.raises(ValueError):
            ItemCooccurrence(normalisation="lift")

    def test_never_bought_item_has_no_partner(self, fitted: Recommender) -> None:
        assert (fitted.similar_items(np.array([NEVER_BOUGHT]), 3) == -1).all()


class TestALS(RecommenderContract):
    method = "als"
    rebuys_first = False  # factors fit "bought or not"; frequency only sets the confidence
    has_similar_items = True

    def make(self) -> Recommender:
        return ALS(factors=8, iterations=20, num_threads=1)

    def test_pair_partner_found(self, fitted: Recommender) -> None:
        assert fitted.similar_items(np.array([PAIR_LEFT]), 1)[0, 0] == PAIR_RIGHT
        assert fitted.recommend(np.array([HALF_PAIR]), 1, exclude_history=True)[0, 0] == PAIR_RIGHT

    def test_confidence_weighting(self, data: Dataset) -> None:
        model = ALS(factors=8, weighting="confidence", num_threads=1).fit(data)
        # with raw counts as confidence the best seller, in every pair basket too, competes as a partner
        assert PAIR_RIGHT in model.similar_items(np.array([PAIR_LEFT]), 3)[0]
        assert model.recommend(np.array([HALF_PAIR]), 1, exclude_history=True)[0, 0] == PAIR_RIGHT
        with pytest.raises(ValueError):
            ALS(weighting="tfidf")
