"""A linear ranker fitted with a listwise softmax loss over each member's candidate items.

For one member, the chance the model gives each candidate is the softmax of its score ``x @ w``; the
loss is minus the mean log chance of the items the member actually bought next, summed over members,
plus ``l2 * |w - prior|^2`` on standardised features: the prior counts as much as `l2` members, so it
holds with a handful of members and fades with thousands. The loss looks at ranking within a member only,
which is what top-k recommendation needs; a pointwise logistic loss would also spend effort telling
apart members who buy much from members who buy little.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


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
