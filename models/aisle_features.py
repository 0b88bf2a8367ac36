"""The signals Aisle's recommender ranks with, for every (member, item) pair of a batch of members.

Repeat signals (zero for items the member never bought): the TIFU-style decayed frequency, the share
of visits with the item, visits since it was last bought, where the member is in the item's repurchase
cycle, how often members rebuy the item and how often this member rebuys at all. Discovery signals
(kept apart for bought and never-bought items): EASE and next-visit regression scores, the nearest
members' decayed baskets, popularity, and the similarity of the item to the member's taste in text
(product descriptions) and in co-purchase space.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp

from models.baselines.tifu_knn import tifu_vectors
from models.dataset import Dataset
from models.taste import (
    copurchase_vectors,
    ease_weights,
    next_basket_weights,
    popular_items,
    recency_weights,
    taste_vectors,
)

REPEAT = ("seen", "decayed", "frequency", "recency", "cycle", "cycle_sq", "item_repeat", "member_repeat")
SHARED = ("ease", "next_visit", "neighbours", "popularity")
NEW_ONLY = ("item_repeat_new", "member_repeat_new", "text", "copurchase")
FEATURES = REPEAT + ("log_visits",) + tuple(f"{s}_seen" for s in SHARED) + tuple(f"{s}_new" for s in SHARED)
FEATURES += NEW_ONLY
# member_repeat_new is the same for all of a member's new items: it shifts them against the bought ones only
EXPLORE = tuple(f"{s}_new" for s in SHARED) + ("item_repeat_new", "text", "copurchase")
EXPLORE_COLUMNS = np.array([FEATURES.index(f) for f in EXPLORE])
SMOOTHING = 5.0  # pseudo-observations pulling per-member and per-item rates towards the overall rate


@dataclass(frozen=True)
class FeatureParams:
    """The knobs of the signals (not of the ranker)."""

    group_size: int = 7
    within_decay: float = 0.9
    group_decay: float = 0.7
    k_neighbors: int = 300
    ease_l2: float = 60.0
    next_visit_l2: float = 3000.0
    dense_items: int = 6000
    taste_half_life_days: float = 90.0
    copurchase_dimensions: int = 64


def _csr_from_lines(
    values: np.ndarray, users: np.ndarray, items: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    m = sp.csr_matrix((values.astype(np.float64), (users, items)), shape=shape)
    m.sort_indices()
    return m


def _scale_rows(a: np.ndarray) -> np.ndarray:
    """Each row divided by its largest absolute value, so members with long and short histories compare."""
    top = np.abs(a).max(axis=1, keepdims=True)
    return a / np.where(top > 0, top, 1.0)


@dataclass
class Signals:
    """Everything fitted from the baskets that the features are computed from (all arrays)."""

    decayed: sp.csr_matrix  # (users, items) TIFU-style decayed frequency
    counts: sp.csr_matrix  # (users, items) visits with the item
    last_position: sp.csr_matrix  # (users, items) 1 + the member's visit number when last bought
    last_day: sp.csr_matrix  # (users, items) date ordinal when last bought
    recency: sp.csr_matrix  # (users, items) half-life weights for taste vectors
    visits: np.ndarray  # (users,)
    member_last_day: np.ndarray
    member_gap: np.ndarray  # mean days between visits
    member_repeat: np.ndarray  # share of later visits' items already bought before (smoothed)
    item_repeat: np.ndarray  # (items,) share of buyers who bought it on two visits or more (smoothed)
    item_cycle: np.ndarray  # (items,) typical days between two purchases by one member
    popularity: np.ndarray  # (items,) log popularity scaled to [0, 1]
    dense: np.ndarray  # item columns of the two item-item models
    ease: np.ndarray  # (dense, dense)
    next_visit: np.ndarray  # (dense, dense)
    text: np.ndarray  # (items, d) item text vectors
    copurchase: np.ndarray  # (items, c) co-purchase item vectors

    def __post_init__(self) -> None:
        norms = np.sqrt(np.asarray(self.decayed.multiply(self.decayed).sum(axis=1)).ravel())
        self._unit = (sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ self.decayed).tocsr()

    @property
    def n_users(self) -> int:
        """Members the signals were fitted on."""
        return int(self.decayed.shape[0])

    @property
    def n_items(self) -> int:
        """Items the signals were fitted on."""
        return int(self.decayed.shape[1])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array mapping for saving (sparse matrices as data/indices/indptr)."""
        out: dict[str, np.ndarray] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if sp.issparse(value):
                out.update({f"{f.name}.data": value.data, f"{f.name}.indices": value.indices})
                out[f"{f.name}.indptr"] = value.indptr
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_users: int, n_items: int) -> Signals:
        """Rebuild from `to_arrays` output."""
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name in arrays:
                values[f.name] = arrays[f.name]
            else:
                parts = (arrays[f"{f.name}.data"], arrays[f"{f.name}.indices"], arrays[f"{f.name}.indptr"])
                values[f.name] = sp.csr_matrix(parts, shape=(n_users, n_items))
        return cls(**values)  # type: ignore[arg-type]

    def neighbour_scores(self, users: np.ndarray, k: int) -> np.ndarray:
        """Mean decayed vector of each member's k most similar members (cosine > 0), itself excluded."""
        sims = (self._unit[users] @ self._unit.T).toarray()
        sims[np.arange(len(users)), users] = -np.inf
        kk = min(k, self.n_users - 1)
        if kk < 1:
            return np.zeros((len(users), self.n_items))
        near = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        weight = (np.take_along_axis(sims, near, axis=1) > 0) / kk
        rows = np.repeat(np.arange(len(users)), kk)
        pick = sp.csr_matrix((weight.ravel(), (rows, near.ravel())), shape=(len(users), self.n_users))
        return np.asarray((pick @ self.decayed).toarray())

    def _dense_scores(self, weights: np.ndarray, history: sp.csr_matrix) -> np.ndarray:
        out = np.zeros(history.shape)
        out[:, self.dense] = history[:, self.dense] @ weights
        return out

    def features(self, users: np.ndarray, k_neighbors: int) -> np.ndarray:
        """(len(users), n_items, len(FEATURES)) float32 features of every item for these members."""
        counts = self.counts[users].toarray()
        seen = (counts > 0).astype(np.float64)
        new = 1.0 - seen
        visits = np.maximum(self.visits[users], 1.0)[:, None]
        since_visits = visits - self.last_position[users].toarray()
        since_days = self.member_last_day[users][:, None] - self.last_day[users].toarray()
        cycle = np.log((since_days + self.member_gap[users][:, None] + 1.0) / self.item_cycle) * seen
        history = self.counts[users].copy()
        history.data[:] = 1.0
        member_repeat = self.member_repeat[users][:, None]
        shared = [
            _scale_rows(self._dense_scores(self.ease, history)),
            _scale_rows(self._dense_scores(self.next_visit, history)),
            _scale_rows(self.neighbour_scores(users, k_neighbors)),
            np.broadcast_to(self.popularity, seen.shape),
        ]
        weights = self.recency[users]
        columns = [
            seen,
            _scale_rows(self.decayed[users].toarray()),
            counts / visits,
            seen / (1.0 + np.where(seen > 0, since_visits, 0.0)),
            cycle,
            cycle**2,
            self.item_repeat * seen,
            member_repeat * seen,
            np.log(visits) * seen,
            *(s * seen for s in shared),
            *(s * new for s in shared),
            self.item_repeat * new,
            member_repeat * new,
            _scale_rows(taste_vectors(weights, self.text) @ self.text.T) * new,
            _scale_rows(taste_vectors(weights, self.copurchase) @ self.copurchase.T) * new,
        ]
        return np.stack([np.broadcast_to(c, seen.shape) for c in columns], axis=-1).astype(np.float32)


def fit_signals(dataset: Dataset, params: FeatureParams, text: np.ndarray) -> Signals:
    """Fit every signal on the dataset; `text` holds one unit vector per item."""
    b = dataset.baskets
    n_users, n_items = dataset.n_users, dataset.n_items
    shape = (n_users, n_items)
    basket_user = b.basket_users()
    visits = np.diff(b.user_indptr).astype(np.float64)
    sizes = np.diff(b.basket_indptr)
    position = (np.arange(b.n_baskets) - b.user_indptr[basket_user]).astype(np.int64)
    line_user = np.repeat(basket_user, sizes).astype(np.int64)
    line_position = np.repeat(position, sizes)
    line_day = np.repeat(b.days, sizes).astype(np.int64)
    keys = line_user * n_items + b.items
    order = np.lexsort((line_position, keys))
    k, d = keys[order], line_day[order]
    first = np.r_[True, k[1:] != k[:-1]]
    last = np.r_[k[1:] != k[:-1], True]
    pair_user, pair_item = k[last] // n_items, k[last] % n_items

    # how much a member rebuys: of the items on visits after the first, the share bought before
    repeat_line = np.zeros(len(keys), dtype=bool)
    repeat_line[order[~first]] = True
    later = line_position > 0
    rebuys = np.bincount(line_user[later & repeat_line], minlength=n_users)
    later_lines = np.bincount(line_user[later], minlength=n_users)
    overall = rebuys.sum() / max(later_lines.sum(), 1)
    member_repeat = (rebuys + SMOOTHING * overall) / (later_lines + SMOOTHING)

    member_last_day = np.zeros(n_users)
    member_first_day = np.zeros(n_users)
    has = visits > 0
    member_last_day[has] = b.days[b.user_indptr[1:][has] - 1]
    member_first_day[has] = b.days[b.user_indptr[:-1][has]]
    span = (member_last_day - member_first_day) / np.maximum(visits - 1, 1)
    typical_gap = float(np.median(span[visits > 1])) if (visits > 1).any() else 30.0
    member_gap = np.where(visits > 1, span, typical_gap)

    visits_per_pair = np.diff(np.r_[np.flatnonzero(first), len(k)])
    buyers = np.bincount(pair_item, minlength=n_items)
    rebuyers = np.bincount(pair_item[visits_per_pair >= 2], minlength=n_items)
    overall = rebuyers.sum() / max(buyers.sum(), 1)
    item_repeat = (rebuyers + SMOOTHING * overall) / (buyers + SMOOTHING)

    # repurchase cycle: geometric mean of the days between one member's consecutive purchases
    again = ~first[1:]
    log_gap = np.log(np.maximum(d[1:] - d[:-1], 1))[again]
    gap_item = (k[1:] % n_items)[again]
    overall_log_gap = float(log_gap.mean()) if len(log_gap) else np.log(typical_gap)
    total = np.bincount(gap_item, weights=log_gap, minlength=n_items)
    item_cycle = np.exp(
        (total + SMOOTHING * overall_log_gap) / (np.bincount(gap_item, minlength=n_items) + SMOOTHING)
    )

    popularity = np.log1p(dataset.item_popularity())
    dense = popular_items(dataset, params.dense_items)
    return Signals(
        decayed=tifu_vectors(dataset, params.group_size, params.within_decay, params.group_decay),
        counts=dataset.user_items.astype(np.float64).tocsr(),
        last_position=_csr_from_lines(line_position[order][last] + 1.0, pair_user, pair_item, shape),
        last_day=_csr_from_lines(d[last], pair_user, pair_item, shape),
        recency=recency_weights(dataset, params.taste_half_life_days),
        visits=visits,
        member_last_day=member_last_day,
        member_gap=member_gap,
        member_repeat=member_repeat,
        item_repeat=item_repeat,
        item_cycle=item_cycle,
        popularity=popularity / max(popularity.max(initial=0.0), 1e-12),
        dense=dense,
        ease=ease_weights(dataset, params.ease_l2, dense),
        next_visit=next_basket_weights(dataset, params.next_visit_l2, dense),
        text=np.asarray(text, dtype=np.float32),
        copurchase=copurchase_vectors(dataset, params.copurchase_dimensions),
    )
