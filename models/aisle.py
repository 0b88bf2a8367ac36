"""Aisle's own recommender: repeat and discovery signals blended by rankers learned from the data.

Fitting holds out the last visit of members with three visits or more, fits every signal of
`models.aisle_features` on what is left, and learns two linear rankers (`models.ranker`) that put the
held-out visit's items first: one over all items (the usual list, where rebuying competes with
discovering, weighed by how much each member rebuys), one over never-bought items only (the
``exclude_history=True`` list). The signals are then fitted again on all the data for scoring.
Candidates are the member's own items plus the `candidates` best new items by co-purchase.
"""

from __future__ import annotations

import logging

import numpy as np

from models.aisle_features import EXPLORE, EXPLORE_COLUMNS, FEATURES, FeatureParams, Signals, fit_signals
from models.dataset import Dataset
from models.encoder import Encoder, TextEncoder, normalise_rows
from models.ranker import fit_listwise
from models.recommender import JSONValue, NotFittedError, Recommender, top_k
from models.text_usability import FULL_TEXT, TextUsability, assess, encoder_languages

logger = logging.getLogger(__name__)

# Starting blends, also used alone when no member has enough visits to learn from.
PRIOR = {"seen": 1.0, "decayed": 1.0, "neighbours_seen": 0.3, "neighbours_new": 0.3, "ease_new": 0.1}
EXPLORE_PRIOR = {"ease_new": 1.0, "next_visit_new": 1.0, "neighbours_new": 0.3, "text": 0.1}
CANDIDATE_BASE = {"ease_new": 1.0, "next_visit_new": 1.0, "neighbours_new": 0.1, "text": 0.01}
MIN_VISITS_TO_LEARN = 3
TEXT_SIMILARITY_WEIGHT = 0.3  # in similar_items, against co-purchase weights scaled to at most 1


def _weights(names: tuple[str, ...], values: dict[str, float]) -> np.ndarray:
    return np.array([values.get(name, 0.0) for name in names])


class AisleRecommender(Recommender):
    """Learned blend of a member's own rebuying pattern and what similar baskets and members suggest."""

    name = "aisle"
    batch_size = 128

    def __init__(
        self,
        group_size: int = 7,
        within_decay: float = 0.9,
        group_decay: float = 0.7,
        k_neighbors: int = 300,
        ease_l2: float = 60.0,
        next_visit_l2: float = 3000.0,
        dense_items: int = 6000,
        taste_half_life_days: float = 90.0,
        copurchase_dimensions: int = 64,
        candidates: int = 200,
        ranker_l2: float = 50.0,
        ranker_members: int = 5000,
        use_text: bool = True,
        text_model: str = "",
        seed: int = 0,
        encoder: Encoder | None = None,
    ) -> None:
        super().__init__()
        if not (0 < within_decay <= 1 and 0 < group_decay <= 1):
            raise ValueError("within_decay and group_decay must be in (0, 1]")
        if min(group_size, k_neighbors, dense_items, copurchase_dimensions, candidates, ranker_members) < 1:
            raise ValueError("sizes and counts must be at least 1")
        if min(ease_l2, next_visit_l2, taste_half_life_days) <= 0 or ranker_l2 < 0:
            raise ValueError("regularisation and half-life must be positive")
        self.features = FeatureParams(
            group_size=group_size,
            within_decay=within_decay,
            group_decay=group_decay,
            k_neighbors=k_neighbors,
            ease_l2=ease_l2,
            next_visit_l2=next_visit_l2,
            dense_items=dense_items,
            taste_half_life_days=taste_half_life_days,
            copurchase_dimensions=copurchase_dimensions,
        )
        self.candidates = candidates
        self.ranker_l2 = ranker_l2
        self.ranker_members = ranker_members
        self.use_text = use_text
        self.text_model = text_model
        self.seed = seed
        self._encoder = encoder
        self.text_usability: TextUsability = FULL_TEXT  # of the catalogue last fitted (models.text_usability)
        self._signals: Signals | None = None
        self.weights = _weights(FEATURES, PRIOR)
        self.explore_weights = _weights(EXPLORE, EXPLORE_PRIOR)

    def get_params(self) -> dict[str, JSONValue]:
        """The constructor arguments (the encoder is not one: it is only needed to fit)."""
        p = self.features
        return {
            "group_size": p.group_size,
            "within_decay": p.within_decay,
            "group_decay": p.group_decay,
            "k_neighbors": p.k_neighbors,
            "ease_l2": p.ease_l2,
            "next_visit_l2": p.next_visit_l2,
            "dense_items": p.dense_items,
            "taste_half_life_days": p.taste_half_life_days,
            "copurchase_dimensions": p.copurchase_dimensions,
            "candidates": self.candidates,
            "ranker_l2": self.ranker_l2,
            "ranker_members": self.ranker_members,
            "use_text": self.use_text,
            "text_model": self.text_model,
            "seed": self.seed,
        }

    def item_text_vectors(self, dataset: Dataset) -> np.ndarray:
        """Unit text vectors of the items' descriptions (zero rows for items without one)."""
        texts = [str(t).strip() for t in dataset.item_texts]
        known = [i for i, t in enumerate(texts) if t]
        if not self.use_text or not known:
            return np.zeros((dataset.n_items, 1), dtype=np.float32)
        if self._encoder is None:
            self._encoder = TextEncoder(self.text_model or None)
        # Text the model cannot read (Chinese under an English model, SKU codes) would give a taste
        # feature of noise: off below the usability threshold; above it the rankers learn its weight.
        self.text_usability = assess(
            [texts[i] for i in known], encoder_languages(self._encoder), self._encoder.model_id
        )
        logger.info("offline model: %s", self.text_usability.describe())
        if self.text_usability.weight <= 0:
            return np.zeros((dataset.n_items, 1), dtype=np.float32)
        vectors = self._encoder.encode([texts[i] for i in known])
        out = np.zeros((dataset.n_items, vectors.shape[1]), dtype=np.float32)
        out[known] = normalise_rows(vectors)
        return out

    def _fit(self, dataset: Dataset) -> None:
        text = self.item_text_vectors(dataset)
        b = dataset.baskets
        eligible = np.flatnonzero(np.diff(b.user_indptr) >= MIN_VISITS_TO_LEARN)
        rng = np.random.default_rng(self.seed)
        chosen = np.sort(rng.permutation(eligible)[: self.ranker_members])
        self.weights = _weights(FEATURES, PRIOR)
        self.explore_weights = _weights(EXPLORE, EXPLORE_PRIOR)
        if len(chosen):
            last = b.user_indptr[chosen + 1] - 1
            keep = np.ones(b.n_baskets, dtype=bool)
            keep[last] = False
            held_out = Dataset(b.select(keep), dataset.user_ids, dataset.item_ids, dataset.item_texts)
            signals = fit_signals(held_out, self.features, text)
            targets = [b.items[b.basket_indptr[v] : b.basket_indptr[v + 1]] for v in last]
            self._learn(signals, chosen, targets)
        self._signals = fit_signals(dataset, self.features, text)

    def _learn(self, signals: Signals, users: np.ndarray, targets: list[np.ndarray]) -> None:
        """Fit both rankers on the held-out visits of `users`."""
        # (features, member, bought) rows of the discovery candidates, and of those plus own items
        new_only: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        everything: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        step = self._batch_rows(signals.n_items, signals.n_users)
        for start in range(0, len(users), step):
            feats = signals.features(users[start : start + step], self.features.k_neighbors)
            bought = np.zeros(feats.shape[:2], dtype=bool)
            for row, items in enumerate(targets[start : start + step]):
                bought[row, items] = True
            new_pool = self._new_candidates(feats)
            for pool, out in ((new_pool, new_only), (new_pool | (feats[..., 0] > 0), everything)):
                r, c = np.nonzero(pool)
                out.append((feats[r, c], start + r, bought[r, c]))
        x, member, label = (np.concatenate(part) for part in zip(*new_only, strict=True))
        prior = _weights(EXPLORE, EXPLORE_PRIOR)
        self.explore_weights = fit_listwise(x[:, EXPLORE_COLUMNS], member, label, prior, self.ranker_l2)
        x, member, label = (np.concatenate(part) for part in zip(*everything, strict=True))
        self.weights = fit_listwise(x, member, label, _weights(FEATURES, PRIOR), self.ranker_l2)

    def _new_candidates(self, feats: np.ndarray) -> np.ndarray:
        """Mask of each member's `candidates` best never-bought items by the co-purchase base score."""
        base = (
            feats @ _weights(FEATURES, CANDIDATE_BASE) + 1e-3 * feats[..., FEATURES.index("popularity_new")]
        )
        base[feats[..., 0] > 0] = -np.inf
        chosen = top_k(base, min(self.candidates, base.shape[1]))
        mask = np.zeros(base.shape, dtype=bool)
        rows, cols = np.nonzero(chosen >= 0)
        mask[rows, chosen[rows, cols]] = True
        return mask

    def _batch_rows(self, n_items: int | None = None, n_users: int | None = None) -> int:
        """Members per batch so that their feature block and similarity rows stay bounded."""
        cells = max(n_items if n_items is not None else self.n_items, 1) * len(FEATURES)
        cells = max(cells, n_users if n_users is not None else self.n_users)
        return max(1, min(self.batch_size, self.max_batch_cells // cells))

    @property
    def text_vectors(self) -> np.ndarray:
        """(n_items, d) unit text vectors of the fitted items (a zero column when text is off)."""
        return self._fitted_signals().text

    def _fitted_signals(self) -> Signals:
        if self._signals is None:
            raise NotFittedError(f"{self.name}: call fit() or load() first")
        return self._signals

    def _score(self, user_indices: np.ndarray) -> np.ndarray:
        """Scores of the member's own items and best new items; -inf for every other item."""
        feats = self._fitted_signals().features(user_indices, self.features.k_neighbors)
        pool = self._new_candidates(feats) | (feats[..., 0] > 0)
        return np.where(pool, feats.astype(np.float64) @ self.weights, -np.inf)

    def explore_score(self, user_indices: np.ndarray) -> np.ndarray:
        """Scores of the best never-bought items by the discovery ranker; -inf for the others."""
        users = self._check_users(user_indices)
        feats = self._fitted_signals().features(users, self.features.k_neighbors)
        pool = self._new_candidates(feats)
        return np.where(pool, feats[..., EXPLORE_COLUMNS].astype(np.float64) @ self.explore_weights, -np.inf)

    def ranking_scores(self, user_indices: np.ndarray, exclude_history: bool) -> np.ndarray:
        """With `exclude_history`, the discovery ranker (trained on never-bought items only)."""
        return self.explore_score(user_indices) if exclude_history else self.score(user_indices)

    def similar_items(self, item_indices: np.ndarray, k: int) -> np.ndarray:
        """Items best predicted by each item in baskets (EASE weights), plus text similarity, which
        alone speaks for items nobody has bought yet."""
        items = self._check_items(item_indices)
        s = self._fitted_signals()
        scores = TEXT_SIMILARITY_WEIGHT * (s.text[items] @ s.text.T).astype(np.float64)
        position = np.minimum(np.searchsorted(s.dense, items), len(s.dense) - 1)
        in_dense = s.dense[position] == items
        together = s.ease[position[in_dense]].astype(np.float64)
        top = np.abs(together).max(axis=1, keepdims=True)
        scores[np.ix_(in_dense, s.dense)] += together / np.where(top > 0, top, 1.0)
        scores[np.arange(len(items)), items] = -np.inf
        scores[scores <= 0] = -np.inf
        return top_k(scores, k)

    def _state(self) -> dict[str, np.ndarray]:
        arrays = self._fitted_signals().to_arrays()
        return {**arrays, "weights": self.weights, "explore_weights": self.explore_weights}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights = arrays.pop("weights")
        self.explore_weights = arrays.pop("explore_weights")
        if len(self.weights) != len(FEATURES) or len(self.explore_weights) != len(EXPLORE):
            raise ValueError("the saved ranker weights do not match this version's features")
        self._signals = Signals.from_arrays(arrays, self.n_users, self.n_items)
