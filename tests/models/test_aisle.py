"""Aisle's recommender: the contract, its own known answers, the real text model, and the bar it must
clear on the development data."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from models.aisle import EXPLORE_PRIOR, PRIOR, AisleRecommender
from models.aisle_features import FEATURES, explore_names
from models.dataset import Dataset
from models.encoder import TextEncoder
from models.ranker import TreeRanker
from models.recommender import ArtefactError, Recommender, top_k
from tests.models.contract import RecommenderContract
from tests.models.synthetic import (
    BEST_SELLER,
    HALF_PAIR,
    N_ITEMS,
    NEVER_BOUGHT,
    PAIR_BUYERS,
    PAIR_LEFT,
    PAIR_RIGHT,
    REBOUGHT,
    REBUYERS,
)

PAIR_LEFT_BUYER = PAIR_BUYERS[0]


def baskets_of(data: Dataset, user: int) -> list[list[int]]:
    """One member's baskets as item lists, oldest first."""
    return [b.tolist() for b in data.baskets.user_baskets(user)]


class FakeEncoder:
    """Words hashed into 32 dimensions: texts sharing words point the same way. Counts calls."""

    model_id = "fake-words"
    dimensions = 32

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.sha256(word.encode()).digest()
                out[row, digest[0] % self.dimensions] += 1.0
                out[row, digest[1] % self.dimensions] += 0.5
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def with_texts(data: Dataset, texts: dict[int, str]) -> Dataset:
    """The same baskets with some item descriptions replaced."""
    item_texts = data.item_texts.astype(object)
    for item, text in texts.items():
        item_texts[item] = text
    return dataclasses.replace(data, item_texts=item_texts.astype(str))


class TestAisle(RecommenderContract):
    method = "aisle"
    has_similar_items = True

    def make(self) -> Recommender:
        return AisleRecommender(encoder=FakeEncoder())

    def test_pair_partners_are_similar(self, fitted: Recommender) -> None:
        assert fitted.similar_items(np.array([PAIR_LEFT]), 1)[0, 0] == PAIR_RIGHT
        assert fitted.similar_items(np.array([PAIR_RIGHT]), 1)[0, 0] == PAIR_LEFT

    def test_members_are_offered_what_others_went_on_to_discover(self) -> None:
        # members who keep buying item 1 go on to buy item 2 on their third visit
        rng = np.random.default_rng(3)
        starters = [[[1, int(f)] for f in rng.integers(4, 12, size=2)] for _ in range(12)]
        sequences = [visits + [[1, 2, int(rng.integers(4, 12))]] for visits in starters]
        sequences.append([[1, 5], [1, 9]])  # a newer member, two visits in
        data = Dataset.from_baskets(sequences, n_items=12)
        model = AisleRecommender(encoder=FakeEncoder()).fit(data)
        assert model.recommend(np.array([12]), 1, exclude_history=True)[0, 0] == 2

    def test_explore_list_ignores_the_repeat_ranker(self, data: Dataset, everyone: np.ndarray) -> None:
        fitted = AisleRecommender(ranker="linear", encoder=FakeEncoder()).fit(data)
        explore = fitted.recommend(everyone, 5, exclude_history=True)
        scores = fitted.explore_score(everyone)
        scores[fitted.history(everyone).toarray() > 0] = -np.inf
        np.testing.assert_array_equal(explore, top_k(scores, 5))
        fitted.weights = -fitted.weights  # turn the all-items ranker upside down
        np.testing.assert_array_equal(fitted.recommend(everyone, 5, exclude_history=True), explore)
        assert not np.array_equal(fitted.recommend(everyone, 5), explore)

    def test_rankers_learn_from_held_out_visits(self, fitted: AisleRecommender, data: Dataset) -> None:
        prior = np.array([PRIOR.get(name, 0.0) for name in FEATURES])
        assert not np.allclose(fitted.weights, prior)
        assert fitted.weights[FEATURES.index("decayed")] > 0  # rebuyers' decayed favourites came back
        # two visits each: nobody can spare a visit to learn from, so the starting blends stay
        short = Dataset.from_baskets([[[1, 2], [1, 3]], [[2, 4], [2, 5]], [[4], [1]]], n_items=6)
        model = AisleRecommender(encoder=FakeEncoder()).fit(short)
        np.testing.assert_array_equal(model.weights, prior)
        np.testing.assert_array_equal(
            model.explore_weights, [EXPLORE_PRIOR.get(n, 0.0) for n in explore_names(model.features)]
        )
        assert (model.recommend(np.array([0]), 2)[0] >= 0).all()

    def test_never_bought_item_is_found_by_its_description(self, data: Dataset) -> None:
        named = with_texts(data, {NEVER_BOUGHT: "white metal lantern", PAIR_RIGHT: "lantern white metal"})
        encoder = FakeEncoder()
        model = AisleRecommender(encoder=encoder).fit(named)
        assert encoder.calls == 1  # both fits of the signals share one encoding
        assert model.similar_items(np.array([NEVER_BOUGHT]), 1)[0, 0] == PAIR_RIGHT
        assert model.text_vectors.shape == (N_ITEMS, FakeEncoder.dimensions)

    def test_text_can_be_left_out(self, data: Dataset) -> None:
        encoder = FakeEncoder()
        model = AisleRecommender(use_text=False, encoder=encoder).fit(data)
        assert encoder.calls == 0 and not model.text_vectors.any()
        assert (model.recommend(np.array(list(REBUYERS)), 1)[:, 0] >= 0).all()

    def test_item_models_limited_to_the_best_sellers(self, data: Dataset, everyone: np.ndarray) -> None:
        model = AisleRecommender(dense_items=4, encoder=FakeEncoder()).fit(data)
        assert model._fitted_signals().items.ease.shape == (4, 4)
        assert (model.recommend(np.array(list(REBUYERS)), 1)[:, 0] == REBOUGHT).all()
        similar = model.similar_items(np.arange(N_ITEMS), 2)  # items outside the four: text only
        assert not (similar == np.arange(N_ITEMS)[:, None]).any()
        assert model.recommend(everyone, 3, exclude_history=True).shape == (len(everyone), 3)

    def test_scores_from_current_baskets_match_the_fitted_members(
        self, fitted: AisleRecommender, data: Dataset, everyone: np.ndarray
    ) -> None:
        # the server folds a member in from the baskets in its database: the same baskets give the
        # same scores and list as the member's fitted index, whether the model knows them or not
        baskets = data.baskets
        for exclude in (False, True):
            expected = fitted.ranking_scores(everyone, exclude)
            for users in (everyone, np.full(len(everyone), -1)):
                got = fitted.score_baskets(baskets, users, exclude_history=exclude)
                known = users >= 0
                np.testing.assert_allclose(got[known], expected[known], rtol=1e-6)
                np.testing.assert_array_equal(np.isinf(got[known]), np.isinf(expected[known]))
                np.testing.assert_array_equal(
                    top_k(got[known], 6), fitted.recommend(everyone, 6, exclude)[known]
                )
            # one member at a time, from their own baskets only
            for user in (REBUYERS[0], PAIR_LEFT_BUYER, HALF_PAIR):
                own = Dataset.from_baskets([baskets_of(data, user)], n_items=N_ITEMS).baskets
                own = dataclasses.replace(
                    own, days=baskets.days[baskets.user_indptr[user] : baskets.user_indptr[user + 1]]
                )
                row = fitted.score_baskets(own, np.array([user]), exclude_history=exclude)[0]
                np.testing.assert_allclose(row, expected[user], rtol=1e-6)
                unknown = fitted.score_baskets(own, np.array([-1]), exclude_history=exclude)[0]
                assert (top_k(unknown[None], 3) >= 0).all()

    def test_member_without_baskets_gets_best_sellers(self, fitted: AisleRecommender, data: Dataset) -> None:
        nobody = Dataset.from_baskets([[]], n_items=N_ITEMS).baskets
        popularity = data.item_popularity()
        for exclude in (False, True):
            row = fitted.score_baskets(nobody, np.array([-1]), exclude_history=exclude)[0]
            # a finite row ranked by popularity alone: the best seller first, never-sold items last
            listed = top_k(row[None], int(np.isfinite(row).sum()))[0]
            assert listed[0] == BEST_SELLER
            assert (np.diff(popularity[listed]) <= 0).all()

    def test_fold_in_is_checked(self, fitted: AisleRecommender, data: Dataset) -> None:
        with pytest.raises(ValueError):
            fitted.score_baskets(data.baskets, np.zeros(2, dtype=np.int64))
        with pytest.raises(IndexError):
            fitted.score_baskets(data.baskets, np.full(data.n_users, data.n_users))

    def test_visit_day(self, fitted: AisleRecommender, data: Dataset, everyone: np.ndarray) -> None:
        # without a day, the visit is one usual gap after the last; these members come every day
        b = data.baskets
        has = np.diff(b.user_indptr) > 0
        last = np.zeros(data.n_users)
        last[has] = b.days[b.user_indptr[1:][has] - 1]
        for exclude in (False, True):
            np.testing.assert_array_equal(
                fitted.ranking_scores(everyone, exclude),
                fitted.ranking_scores(everyone, exclude, days=last + 1),
            )
        # a year later every bought item is long overdue: the repeat scores change, the pool does not
        later = fitted.score(everyone, days=last + 365)
        now = fitted.score(everyone)
        assert not np.array_equal(later, now)
        np.testing.assert_array_equal(np.isfinite(later), np.isfinite(now))
        with pytest.raises(ValueError):
            fitted.recommend(everyone, 3, days=last[:2])

    def test_fit_reports_progress(self, data: Dataset) -> None:
        seen: list[tuple[str, float]] = []
        AisleRecommender(encoder=FakeEncoder()).fit(
            data, progress=lambda stage, done: seen.append((stage, done))
        )
        fractions = [done for _, done in seen]
        assert len(seen) >= 4 and fractions == sorted(fractions)
        assert seen[-1] == ("done", 1.0) and 0.0 <= fractions[0] < 1.0

    def test_parameters_are_checked(self) -> None:
        for bad in (
            {"within_decay": 0.0},
            {"k_neighbors": 0},
            {"ease_l2": -1.0},
            {"ranker_l2": -0.1},
            {"ranker": "forest"},
            {"mixed_candidates": -1},
        ):
            with pytest.raises(ValueError):
                AisleRecommender(**bad)  # type: ignore[arg-type]

    def test_load_refuses_weights_of_another_feature_set(self, fitted: Recommender, tmp_path: Path) -> None:
        folder = fitted.save(tmp_path / "artefact")
        np.save(folder / "model.weights.npy", np.zeros(3))
        with pytest.raises(ArtefactError, match="features"):
            AisleRecommender.load(folder)


def test_real_text_model(data_with_products: Dataset, tmp_path: Path) -> None:
    encoder = TextEncoder(cache_dir=tmp_path)
    model = AisleRecommender(encoder=encoder).fit(data_with_products)
    assert model.text_vectors.shape == (N_ITEMS, 384)
    np.testing.assert_allclose(np.linalg.norm(model.text_vectors, axis=1), 1.0, atol=1e-5)
    # the lantern nobody bought yet is most like the other lantern, not the cake
    similar = model.similar_items(np.array([NEVER_BOUGHT]), 3)[0].tolist()
    assert similar[0] == PAIR_RIGHT
    assert list(tmp_path.glob("*.emb"))  # the descriptions are cached for the next fit


@pytest.fixture
def data_with_products() -> Dataset:
    from tests.models.synthetic import synthetic_dataset

    names = {PAIR_LEFT: "chocolate cake", PAIR_RIGHT: "white metal lantern"}
    return with_texts(synthetic_dataset(), {**names, NEVER_BOUGHT: "metal lantern white"})


def test_tree_ranker_learns_an_interaction_and_round_trips() -> None:
    # members buy the item whose two features are both high: no single weighted sum of one says it
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(400 * 20, 3))
    group = np.repeat(np.arange(400), 20)
    label = (x[:, 0] > 0.8) & (x[:, 1] > 0.8)
    ranker = TreeRanker.fit(x, group, label, trees=50)
    assert ranker is not None and ranker.n_features == 3
    test = rng.uniform(size=(2000, 3))
    scores = ranker.predict(test)
    both = (test[:, 0] > 0.8) & (test[:, 1] > 0.8)
    assert scores[both].min() > np.median(scores[~both])
    again = TreeRanker.from_array(ranker.to_array())
    np.testing.assert_array_equal(again.predict(test), scores)
    # too few members with a purchase to grow trees on
    assert TreeRanker.fit(x[:200], group[:200], label[:200]) is None


def test_trees_are_saved_and_loaded(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    favourite = rng.integers(0, 30, size=300)
    sequences = [
        [[int(favourite[m])] + rng.integers(0, 60, size=3).tolist() for _ in range(int(rng.integers(3, 7)))]
        for m in range(300)
    ]
    data = Dataset.from_baskets(sequences, n_items=60)
    model = AisleRecommender(encoder=FakeEncoder(), trees=20).fit(data)
    assert model._trees is not None
    loaded = AisleRecommender.load(model.save(tmp_path / "trees"))
    users = np.arange(300)
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    np.testing.assert_array_equal(loaded.recommend(users, 5), model.recommend(users, 5))
    assert (model.recommend(users, 1)[:, 0] == favourite).mean() > 0.9
    # fold-in through the trees gives the fitted members' scores too, on any visit day
    days = np.full(300, 40)
    for exclude in (False, True):
        np.testing.assert_allclose(
            model.score_baskets(data.baskets, users, days, exclude),
            model.ranking_scores(users, exclude, days),
            rtol=1e-6,
        )


def test_ranker_options_round_trip_and_fold_in(tmp_path: Path) -> None:
    # recall-weighted trees, a blended explore ranker without the trend: saved, loaded, folded in alike
    rng = np.random.default_rng(6)
    favourite = rng.integers(0, 30, size=300)
    sequences = [
        [[int(favourite[m])] + rng.integers(0, 60, size=3).tolist() for _ in range(int(rng.integers(3, 7)))]
        for m in range(300)
    ]
    data = Dataset.from_baskets(sequences, n_items=60)
    options = {
        "tree_weight": "recall",
        "tree_truncation": 10,
        "explore_ranker": "blend",
        "explore_trend": False,
    }
    model = AisleRecommender(encoder=FakeEncoder(), trees=20, **options).fit(data)  # type: ignore[arg-type]
    assert model._trees is not None and model._explore_trees is not None
    loaded = AisleRecommender.load(model.save(tmp_path / "options"))
    assert {k: loaded.get_params()[k] for k in options} == options
    users = np.arange(300)
    days = np.full(300, 40)
    for exclude in (False, True):
        np.testing.assert_array_equal(
            loaded.ranking_scores(users, exclude, days), model.ranking_scores(users, exclude, days)
        )
        np.testing.assert_allclose(
            model.score_baskets(data.baskets, users, days, exclude),
            model.ranking_scores(users, exclude, days),
            rtol=1e-6,
        )
    with pytest.raises(ValueError):
        AisleRecommender(tree_weight="ndcg")
    with pytest.raises(ValueError):
        AisleRecommender(ranker="blend")


def test_a_wholesalers_own_items_are_ranked_by_their_most_weighted_few() -> None:
    from models.aisle_features import OWN_ITEMS, _top_entries

    m = sp.csr_matrix(np.array([[0.5, 0.0, 0.9, 0.1, 0.9], [0.2, 0.3, 0.0, 0.0, 0.0]]))
    assert _top_entries(m, 2).tolist() == [False, True, False, True, True, True]  # ties: the earlier
    n_items = OWN_ITEMS + 100
    big = [list(range(v * 40, min((v + 1) * 40, n_items))) for v in range(10)] + [[0, 1, 2]]
    small = [[[i % 7, (i + 1) % 7] for i in range(4)] for _ in range(30)]
    data = Dataset.from_baskets([big, *small], n_items=n_items)
    model = AisleRecommender(use_text=False, encoder=FakeEncoder()).fit(data)
    scores = model.ranking_scores(np.array([0]), exclude_history=False)
    bought = np.isfinite(scores[0]) & (data.user_items[0].toarray()[0] > 0)
    assert bought.sum() == OWN_ITEMS and bought[[0, 1, 2]].all()  # the latest visit's items are kept
    from models.serving.served import members_of

    folded = model.score_baskets(members_of(data.baskets, np.array([0])), np.array([0]))
    np.testing.assert_allclose(folded, scores, rtol=1e-6)


def test_items_never_sold_change_nobodys_list_and_are_not_searched() -> None:
    # 40 items sold among 400: new candidates are looked for among the 40, and the lists are the ones a
    # search of the whole catalogue gives; a member asking for more new items than the sold ones offer
    # gets the whole catalogue's search, as before.
    rng = np.random.default_rng(5)
    sequences = [[sorted(set(rng.integers(0, 40, size=4).tolist())) for _ in range(5)] for _ in range(60)]
    data = Dataset.from_baskets(sequences, n_items=400)
    everyone = np.arange(60)
    for wanted in (10, 200):
        model = AisleRecommender(use_text=False, mixed_candidates=wanted, candidates=wanted).fit(data)
        signals = model._fitted_signals()
        assert len(signals.items.scored) == 40
        lists = [model.ranking_scores(everyone, exclude_history=e) for e in (False, True)]
        # the whole catalogue, as before the search was cut
        signals.items.scored = signals.items.scored_position = np.arange(400)
        for exclude, scores in zip((False, True), lists, strict=True):
            whole = model.ranking_scores(everyone, exclude_history=exclude)
            np.testing.assert_array_equal(np.isfinite(scores), np.isfinite(whole))
            np.testing.assert_allclose(scores[np.isfinite(scores)], whole[np.isfinite(whole)], rtol=1e-6)
        explore = np.isfinite(lists[1])
        assert (explore.sum(axis=1) == wanted).all()
        assert explore[:, 40:].any() == (wanted == 200)  # unsold items only when the sold run out
