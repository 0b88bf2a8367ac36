"""Rankers of each member's candidate items: a linear one fitted with a listwise softmax loss, and
gradient-boosted trees (LightGBM's LambdaRank, `TreeRanker`).

The linear ranker: for one member, the chance the model gives each candidate is the softmax of its
score ``x @ w``; the loss is minus the mean log chance of the items the member actually bought next,
summed over members, plus ``l2 * |w - prior|^2`` on standardised features: the prior counts as much
as `l2` members, so it holds with a handful of members and fades with thousands. The loss looks at
ranking within a member only, which is what top-k recommendation needs; a pointwise logistic loss
would also spend effort telling apart members who buy much from members who buy little.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

MIN_TREE_GROUPS = 200  # members with a bought candidate needed to grow trees rather than a linear blend


def fit_listwise(
    x: np.ndarray,
    group: np.ndarray,
    label: np.ndarray,
    prior: np.ndarray,
    l2: float = 50.0,
    max_iter: int = 300,
) -> np.ndarray:
    """Weights over the raw features of `x` (rows grouped contiguously by `group`, `label` true for
    bought). Groups without a bought row are ignored; without any group left, `prior` is returned."""
    x = np.asarray(x, dtype=np.float64)
    group = np.asarray(group)
    label = np.asarray(label, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(prior) or len(group) != len(x) or len(label) != len(x):
        raise ValueError(f"features {x.shape}, {len(group)} groups, {len(label)} labels, {len(prior)} prior")
    if l2 < 0:
        raise ValueError("l2 must be non-negative")
    if len(x) == 0:
        return prior.copy()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    row_group = np.cumsum(np.r_[True, group[1:] != group[:-1]]) - 1
    positives = np.add.reduceat(label, starts)
    keep_group = positives > 0
    if not keep_group.any():
        return prior.copy()
    keep = keep_group[row_group]
    x, label = x[keep], label[keep]
    row_group = (np.cumsum(keep_group) - 1)[row_group[keep]]
    positives = positives[keep_group]
    starts = np.flatnonzero(np.r_[True, row_group[1:] != row_group[:-1]])
    n_groups = len(starts)

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    xs = (x - mean) / scale
    prior_s = prior * scale  # the same ranking as `prior` on the raw features

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = xs @ w
        top = np.maximum.reduceat(z, starts)[row_group]
        e = np.exp(z - top)
        total = np.add.reduceat(e, starts)[row_group]
        log_p = z - top - np.log(total)
        # divided by the number of members throughout, to keep the optimiser's numbers near 1
        loss = -np.sum(label * log_p / positives[row_group]) / n_groups
        diff = w - prior_s
        grad_rows = e / total - label / positives[row_group]
        grad = xs.T @ grad_rows / n_groups + 2 * l2 * diff / n_groups
        return float(loss + l2 * diff @ diff / n_groups), grad

    result = minimize(loss_and_grad, prior_s, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return np.asarray(result.x / scale)


class TreeRanker:
    """Gradient-boosted trees fitted with LightGBM's LambdaRank objective over each member's candidates,
    kept as LightGBM's own text model (saved as UTF-8 bytes, never pickled)."""

    def __init__(self, model: str) -> None:
        import lightgbm

        self.model = model
        self._booster = lightgbm.Booster(model_str=model)

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        group: np.ndarray,
        label: np.ndarray,
        trees: int = 200,
        leaves: int = 15,
        learning_rate: float = 0.05,
        min_rows: int = 50,
        seed: int = 0,
        min_groups: int = MIN_TREE_GROUPS,
        weight: np.ndarray | None = None,
        objective: str = "lambdarank",
        feature_fraction: float = 0.8,
        truncation: int = 20,
    ) -> TreeRanker | None:
        """Trees over `x` (rows grouped contiguously by `group`, `label` true for bought); None when
        fewer than `min_groups` groups have a bought row (too few to grow trees on: keep a linear one).
        `weight` (one per row, equal within a group) scales each group's gradients."""
        import lightgbm

        x = np.asarray(x, dtype=np.float32)
        group = np.asarray(group)
        label = np.asarray(label, dtype=np.float64)
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, int)
        positives = np.add.reduceat(label, starts) if len(starts) else np.zeros(0)
        keep_group = positives > 0
        if keep_group.sum() < max(min_groups, 1):
            return None
        sizes = np.diff(np.r_[starts, len(group)])
        keep = np.repeat(keep_group, sizes)
        params = {
            "objective": objective,
            "lambdarank_truncation_level": truncation,
            "eval_at": [10],
            "num_leaves": leaves,
            "learning_rate": learning_rate,
            "min_data_in_leaf": min_rows,
            "feature_fraction": feature_fraction,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            # one thread: on a busy two-core machine OpenMP's waiting threads made a fit ten times slower
            "num_threads": 1,
            "verbosity": -1,
        }
        rows_weight = None if weight is None else np.asarray(weight, dtype=np.float64)[keep]
        data = lightgbm.Dataset(
            x[keep], label[keep], weight=rows_weight, group=sizes[keep_group], free_raw_data=True
        )
        booster = lightgbm.train(params, data, num_boost_round=trees)
        return cls(booster.model_to_string())

    @property
    def n_features(self) -> int:
        """Columns the trees read."""
        return int(self._booster.num_feature())

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Float64 scores of the rows of `x` (higher ranks first)."""
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(
            self._booster.predict(np.asarray(x, dtype=np.float32), num_threads=1), dtype=np.float64
        )

    def to_array(self) -> np.ndarray:
        """The model text as a uint8 array, for an .npy file."""
        return np.frombuffer(self.model.encode("utf-8"), dtype=np.uint8).copy()

    @classmethod
    def from_array(cls, array: np.ndarray) -> TreeRanker:
        """Rebuild from `to_array` output."""
        return cls(np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8"))
