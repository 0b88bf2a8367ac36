"""Aisle's own recommender: repeat and discovery signals blended by rankers learned from the data.

Fitting holds out the last visit of members with three visits or more, fits every signal of
`models.aisle_features` on what is left, and learns two rankers (`models.ranker`) that put the
held-out visit's items first, with each visit's features as of its own day: LambdaRank trees over all
items (the usual list, where rebuying competes with discovering), a linear listwise blend over
never-bought items only (the ``exclude_history=True`` list). The signals are then fitted again on all
the data for scoring. Candidates are the member's own items plus the best new items by co-purchase.
Scoring takes the visit day (`days`); without it, the visit is one usual gap after the last basket.

`score_baskets` ranks a member from the baskets they have now (the server reads them from its
database) through the same code as a fitted member: only the item-level signals and the neighbour pool
are fixed at fit time.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from models.aisle_features import (
    EXPLORE,
    FEATURES,
    FeatureParams,
    MemberRows,
    Signals,
    explore_columns,
    explore_names,
    fit_signals,
    member_rows,
)
from models.dataset import Baskets, Dataset
from models.encoder import Encoder, TextEncoder, normalise_rows
from models.ranker import TreeRanker, fit_listwise
from models.recommender import JSONValue, NotFittedError, Progress, Recommender, top_k
from models.text_usability import FULL_TEXT, TextUsability, assess, encoder_languages

logger = logging.getLogger(__name__)

# Starting blends, also used alone when no member has enough visits to learn from.
PRIOR = {"seen": 1.0, "decayed": 1.0, "neighbours_seen": 0.3, "neighbours_new": 0.3, "ease_new": 0.1}
EXPLORE_PRIOR = {"ease_new": 1.0, "next_visit_new": 1.0, "neighbours_new": 0.3, "text": 0.1}
MIN_VISITS_TO_LEARN = 3
TEXT_SIMILARITY_WEIGHT = 0.3  # in similar_items, against co-purchase weights scaled to at most 1
RANKERS = ("linear", "trees", "blend")  # blend: linear and trees, each standardised within the member
TREE_OBJECTIVES = ("lambdarank", "rank_xendcg")
# "recall": each member's gradients scaled by min(bought in pool, 10) / items bought, as recall@10
# weighs a member's hits (LambdaRank's NDCG weighs each member alike whatever their basket size)
TREE_WEIGHTS = ("none", "recall")
DENSE_ROWS = 8  # (members x items) arrays a scoring batch holds at once


def _weights(names: tuple[str, ...], values: dict[str, float]) -> np.ndarray:
    return np.array([values.get(name, 0.0) for name in names])


def _standardise(scores: np.ndarray, member: np.ndarray, n: int) -> np.ndarray:
    """`scores` less their member's mean, over their member's standard deviation."""
    count = np.maximum(np.bincount(member, minlength=n), 1)
    mean = np.bincount(member, weights=scores, minlength=n) / count
    centred = scores - mean[member]
    spread = np.sqrt(np.bincount(member, weights=centred**2, minlength=n) / count)
    return centred / np.where(spread > 1e-12, spread, 1.0)[member]


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
        mixed_candidates: int = 100,
        explore_siblings: bool = True,
        ranker_l2: float = 50.0,
        ranker_members: int = 5000,
        ranker: str = "trees",
        explore_ranker: str = "linear",
        trees: int = 200,
        tree_leaves: int = 15,
        tree_rate: float = 0.05,
        tree_min_rows: int = 100,
        tree_features: float = 0.6,
        tree_truncation: int = 10,
        tree_objective: str = "lambdarank",
        tree_weight: str = "none",
        explore_trend: bool = True,
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
        if mixed_candidates < 0:
            raise ValueError("mixed_candidates must be 0 or more")
        if min(ease_l2, next_visit_l2, taste_half_life_days) <= 0 or ranker_l2 < 0:
            raise ValueError("regularisation and half-life must be positive")
        if ranker not in RANKERS[:2] or explore_ranker not in RANKERS or min(trees, tree_leaves - 1) < 1:
            raise ValueError(
                f"ranker: one of {RANKERS[:2]}, explore_ranker: one of {RANKERS}; 1+ tree of 2+ leaves"
            )
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
            candidates=candidates,
            mixed_candidates=mixed_candidates,
            explore_siblings=explore_siblings,
        )
        self.ranker_l2 = ranker_l2
        self.ranker_members = ranker_members
        self.ranker = ranker
        self.explore_ranker = explore_ranker
        self.trees = trees
        self.tree_leaves = tree_leaves
        if tree_weight not in TREE_WEIGHTS or tree_objective not in TREE_OBJECTIVES:
            raise ValueError(f"tree_weight: one of {TREE_WEIGHTS}; tree_objective: one of {TREE_OBJECTIVES}")
        self.tree_rate = tree_rate
        self.tree_min_rows = tree_min_rows
        self.tree_features = tree_features
        self.tree_truncation = tree_truncation
        self.tree_objective = tree_objective
        self.tree_weight = tree_weight
        self.explore_trend = explore_trend
        self._trees: TreeRanker | None = None  # the learned rankers when `ranker` is "trees"
        self._explore_trees: TreeRanker | None = None
        self.use_text = use_text
        self.text_model = text_model
        self.seed = seed
        self._encoder = encoder
        self.text_usability: TextUsability = FULL_TEXT  # of the catalogue last fitted (models.text_usability)
        self._signals: Signals | None = None
        self.weights = _weights(FEATURES, PRIOR)
        self.explore_weights = _weights(explore_names(self.features), EXPLORE_PRIOR)

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
            "candidates": p.candidates,
            "mixed_candidates": p.mixed_candidates,
            "explore_siblings": p.explore_siblings,
            "ranker_l2": self.ranker_l2,
            "ranker_members": self.ranker_members,
            "ranker": self.ranker,
            "explore_ranker": self.explore_ranker,
            "trees": self.trees,
            "tree_leaves": self.tree_leaves,
            "tree_rate": self.tree_rate,
            "tree_min_rows": self.tree_min_rows,
            "tree_features": self.tree_features,
            "tree_truncation": self.tree_truncation,
            "tree_objective": self.tree_objective,
            "tree_weight": self.tree_weight,
            "explore_trend": self.explore_trend,
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

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        def stage(name: str, done: float) -> None:
            if progress is not None:
                progress(name, done)

        stage("product texts", 0.0)
        text = self.item_text_vectors(dataset)
        b = dataset.baskets
        eligible = np.flatnonzero(np.diff(b.user_indptr) >= MIN_VISITS_TO_LEARN)
        rng = np.random.default_rng(self.seed)
        chosen = np.sort(rng.permutation(eligible)[: self.ranker_members])
        self.weights = _weights(FEATURES, PRIOR)
        self.explore_weights = _weights(explore_names(self.features), EXPLORE_PRIOR)
        self._trees = self._explore_trees = None
        if len(chosen):
            last = b.user_indptr[chosen + 1] - 1
            keep = np.ones(b.n_baskets, dtype=bool)
            keep[last] = False
            held_out = Dataset(b.select(keep), dataset.user_ids, dataset.item_ids, dataset.item_texts)
            stage("signals without the last visits", 0.1)
            signals = fit_signals(held_out, self.features, text)
            targets = [b.items[b.basket_indptr[v] : b.basket_indptr[v + 1]] for v in last]
            # each held-out visit's features as of its own day, as a served member's on theirs
            self._learn(signals, chosen, targets, b.days[last].astype(np.float64), stage)
        stage("signals", 0.8)
        self._signals = fit_signals(dataset, self.features, text)

    def _examples(
        self, signals: Signals, users: np.ndarray, targets: list[np.ndarray], days: np.ndarray, explore: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features, member, bought) of the pools of `users` on their held-out visits."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        step = self._batch_rows(signals.n_items, signals.n_users)
        n_items = signals.n_items
        for start in range(0, len(users), step):
            batch = np.arange(start, min(start + step, len(users)))
            pool = signals.pool(
                signals.members.take(users[batch]), users[batch], days[batch], self.features, explore
            )
            wanted = [np.asarray(targets[i], dtype=np.int64) + row * n_items for row, i in enumerate(batch)]
            bought = np.isin(pool.member * n_items + pool.item, np.concatenate(wanted))
            parts.append((self._columns(pool.x, explore), start + pool.member, bought))
        x, member, label = (np.concatenate(part) for part in zip(*parts, strict=True))
        return x, member, label

    def _learn(
        self,
        signals: Signals,
        users: np.ndarray,
        targets: list[np.ndarray],
        days: np.ndarray,
        stage: Progress,
    ) -> None:
        """Fit both rankers on the held-out visits of `users` (on `days`)."""
        options = {
            "trees": self.trees,
            "leaves": self.tree_leaves,
            "seed": self.seed,
            "learning_rate": self.tree_rate,
            "min_rows": self.tree_min_rows,
            "feature_fraction": self.tree_features,
            "truncation": self.tree_truncation,
            "objective": self.tree_objective,
        }
        sizes = np.array([max(len(t), 1) for t in targets], dtype=np.float64)
        stage("explore ranker", 0.4)
        x, member, label = self._examples(signals, users, targets, days, explore=True)
        prior = _weights(explore_names(self.features), EXPLORE_PRIOR)
        self.explore_weights = fit_listwise(x, member, label, prior, self.ranker_l2)
        if self.explore_ranker != "linear":
            weight = self._group_weight(member, label, sizes)
            self._explore_trees = TreeRanker.fit(x, member, label, weight=weight, **options)  # type: ignore[arg-type]
        stage("all-items ranker", 0.55)
        x, member, label = self._examples(signals, users, targets, days, explore=False)
        if self.ranker == "trees":
            weight = self._group_weight(member, label, sizes)
            self._trees = TreeRanker.fit(x, member, label, weight=weight, **options)  # type: ignore[arg-type]
        if self._trees is None:  # also when too few members bought anything to grow trees on
            self.weights = fit_listwise(x, member, label, _weights(FEATURES, PRIOR), self.ranker_l2)

    def _columns(self, x: np.ndarray, explore: bool) -> np.ndarray:
        """The ranker's input: every feature, or the explore ranker's (trend zeroed unless wanted)."""
        if not explore:
            return x
        x = x[:, explore_columns(self.features)]
        if not self.explore_trend:
            x[:, EXPLORE.index("trend_new")] = 0.0
        return x

    def _group_weight(self, member: np.ndarray, label: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
        """Per-row weights of the tree ranker's groups (`member` indexes `sizes`), None for equal ones."""
        if self.tree_weight == "none":
            return None
        in_pool = np.bincount(member, weights=label.astype(np.float64), minlength=len(sizes))
        per_member = np.minimum(in_pool, 10.0) / sizes
        if not (in_pool > 0).any():
            return None
        return per_member[member] / per_member[in_pool > 0].mean()

    def _batch_rows(self, n_items: int | None = None, n_users: int | None = None) -> int:
        """Members per batch so that their dense score rows and similarity rows stay bounded."""
        cells = max(n_items if n_items is not None else self.n_items, 1) * DENSE_ROWS
        cells = max(cells, n_users if n_users is not None else self.n_users)
        return max(1, min(self.batch_size, self.max_batch_cells // cells))

    @property
    def text_vectors(self) -> np.ndarray:
        """(n_items, d) unit text vectors of the fitted items (a zero column when text is off)."""
        return self._fitted_signals().items.text

    def _fitted_signals(self) -> Signals:
        if self._signals is None:
            raise NotFittedError(f"{self.name}: call fit() or load() first")
        return self._signals

    def _rank(
        self, rows: MemberRows, self_users: np.ndarray, days: np.ndarray | None, exclude_history: bool
    ) -> np.ndarray:
        """(members, items) scores of each member's pool by one of the rankers, -inf off the pool; a
        member with no baskets gets the best sellers of their pool scored by popularity alone."""
        signals = self._fitted_signals()
        n = rows.n_members
        out = np.full((n, signals.n_items), -np.inf)
        weights = self.explore_weights if exclude_history else self.weights
        step = self._batch_rows()
        for start in range(0, n, step):
            batch = np.arange(start, min(start + step, n))
            day = None if days is None else days[batch]
            part = rows if len(batch) == n else rows.take(batch)
            pool = signals.pool(part, self_users[batch], day, self.features, exclude_history)
            trees = self._explore_trees if exclude_history else self._trees
            x = self._columns(pool.x, exclude_history)
            if trees is None:
                scores = x.astype(np.float64) @ weights
            elif exclude_history and self.explore_ranker == "blend":
                scores = _standardise(x.astype(np.float64) @ weights, pool.member, len(batch))
                scores += _standardise(trees.predict(x), pool.member, len(batch))
            else:
                scores = trees.predict(x)
            empty = rows.visits[batch][pool.member] == 0
            scores[empty] = signals.items.popularity[pool.item[empty]]
            out[start + pool.member, pool.item] = scores
        return out

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Scores of the member's own items and best new items; -inf for every other item."""
        rows = self._fitted_signals().members.take(user_indices)
        return self._rank(rows, user_indices, days, exclude_history=False)

    def explore_score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Scores of the best never-bought items by the discovery ranker; -inf for the others."""
        users = self._check_users(user_indices)
        days = self._check_days(days, len(users))
        rows = self._fitted_signals().members.take(users)
        return self._rank(rows, users, days, exclude_history=True)

    def ranking_scores(
        self, user_indices: np.ndarray, exclude_history: bool, days: np.ndarray | None = None
    ) -> np.ndarray:
        """With `exclude_history`, the discovery ranker (trained on never-bought items only)."""
        if exclude_history:
            return self.explore_score(user_indices, days)
        return self.score(user_indices, days)

    def score_baskets(
        self,
        baskets: Baskets,
        users: np.ndarray,
        days: np.ndarray | None = None,
        exclude_history: bool = False,
    ) -> np.ndarray:
        """(n, n_items) scores of n members from their current dated baskets (items in this model's
        item space, oldest first), as `ranking_scores` gives a fitted member: `users` holds each
        member's fitted index or -1 (only so nobody is their own neighbour), `days` the date ordinal
        of the visit being predicted (None: one typical gap after the last basket). A member with no
        baskets gets the `candidates` best sellers scored by popularity alone."""
        signals = self._fitted_signals()
        members = np.asarray(users)
        if (
            members.ndim != 1
            or len(members) != baskets.n_users
            or (members.size and members.dtype.kind not in "iu")
        ):
            raise ValueError("users must be a 1-D integer array with one entry per member of `baskets`")
        members = members.astype(np.int64)
        if members.size and (members.min() < -1 or members.max() >= signals.n_users):
            raise IndexError(f"user index out of range -1..{signals.n_users - 1}")
        items = np.asarray(baskets.items)
        if items.size and (items.min() < 0 or items.max() >= signals.n_items):
            raise IndexError(f"item index out of range 0..{signals.n_items - 1}")
        rows = member_rows(baskets, signals.n_items, self.features)
        return self._rank(rows, members, self._check_days(days, len(members)), exclude_history)

    def similar_items(self, item_indices: np.ndarray, k: int) -> np.ndarray:
        """Items best predicted by each item in baskets (EASE weights), plus text similarity, which
        alone speaks for items nobody has bought yet."""
        items = self._check_items(item_indices)
        s = self._fitted_signals().items
        scores = TEXT_SIMILARITY_WEIGHT * (s.text[items] @ s.text.T).astype(np.float64)
        position = np.minimum(np.searchsorted(s.dense, items), max(len(s.dense) - 1, 0))
        in_dense = s.dense[position] == items if len(s.dense) else np.zeros(len(items), dtype=bool)
        together = s.ease[position[in_dense]].astype(np.float64)
        top = np.abs(together).max(axis=1, keepdims=True)
        scores[np.ix_(in_dense, s.dense)] += together / np.where(top > 0, top, 1.0)
        scores[np.arange(len(items)), items] = -np.inf
        scores[scores <= 0] = -np.inf
        return top_k(scores, k)

    def _state(self) -> dict[str, np.ndarray]:
        arrays = self._fitted_signals().to_arrays()
        arrays = {**arrays, "weights": self.weights, "explore_weights": self.explore_weights}
        for key, trees in (("trees", self._trees), ("explore_trees", self._explore_trees)):
            if trees is not None:
                arrays[key] = trees.to_array()
        return arrays

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights = arrays.pop("weights")
        self.explore_weights = arrays.pop("explore_weights")
        trees, explore_trees = arrays.pop("trees", None), arrays.pop("explore_trees", None)
        self._trees = None if trees is None else TreeRanker.from_array(trees)
        self._explore_trees = None if explore_trees is None else TreeRanker.from_array(explore_trees)
        if self.features.explore_siblings and len(self.explore_weights) == len(EXPLORE):
            # saved before the sibling column (its manifest has no explore_siblings): serve as it was
            self.features = replace(self.features, explore_siblings=False)
        explore_width = len(explore_names(self.features))
        for ranker, width in ((self._trees, len(FEATURES)), (self._explore_trees, explore_width)):
            if ranker is not None and ranker.n_features != width:
                raise ValueError("the saved trees do not match this version's features")
        if len(self.weights) != len(FEATURES) or len(self.explore_weights) != explore_width:
            raise ValueError("the saved ranker weights do not match this version's features")
        self._signals = Signals.from_arrays(arrays, self.n_users, self.n_items)
        if len(self._signals.items.item_repeat) != self.n_items:
            raise ValueError("the saved signals do not match the saved items")
