"""What a member likes, learned from what they and everyone else bought (numpy and scipy only).

* `recency_weights` + `taste_vectors`: a member's taste as the recency-weighted mean of the vectors of
  the items they bought (text embeddings or co-purchase embeddings), with a half-life in days.
* `copurchase_vectors`: item embeddings from baskets, the truncated SVD of the positive pointwise mutual
  information (PPMI) of same-basket counts; items bought together point the same way.
* `ease_weights`: EASE (Steck, WWW 2019), the closed-form item-item model that predicts each item of a
  member's history from all the others.
* `next_basket_weights`: a ridge regression from everything a member had bought before a visit to
  the items that were new to them on that visit: which items members go on to discover next.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve

from models.dataset import Dataset
from models.encoder import normalise_rows


def recency_weights(dataset: Dataset, half_life_days: float) -> sp.csr_matrix:
    """(n_users, n_items) CSR: each basket holding the item counts 0.5 ** (days before the last visit
    / half_life_days)."""
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    b = dataset.baskets
    basket_user = b.basket_users()
    last_day = np.zeros(b.n_users, dtype=np.float64)
    has = np.diff(b.user_indptr) > 0
    last_day[has] = b.days[b.user_indptr[1:][has] - 1]
    weight = 0.5 ** ((last_day[basket_user] - b.days) / half_life_days)
    sizes = np.diff(b.basket_indptr)
    m = sp.csr_matrix(
        (np.repeat(weight, sizes), (np.repeat(basket_user, sizes), b.items)),
        shape=(dataset.n_users, dataset.n_items),
    )
    m.sum_duplicates()
    return m


def taste_vectors(weights: sp.csr_matrix, item_vectors: np.ndarray) -> np.ndarray:
    """(n_users, d) unit vectors: the weighted mean of each member's item vectors (zero without history)."""
    if weights.shape[1] != len(item_vectors):
        raise ValueError(f"{weights.shape[1]} item weights for {len(item_vectors)} item vectors")
    return normalise_rows(np.asarray(weights @ item_vectors, dtype=np.float32))


def copurchase_vectors(dataset: Dataset, dimensions: int = 64, seed: int = 0) -> np.ndarray:
    """(n_items, d) unit vectors from the SVD of the basket PPMI matrix; zero for items never bought."""
    if dimensions < 1:
        raise ValueError("dimensions must be at least 1")
    baskets = dataset.basket_items
    counts = (baskets.T @ baskets).tocoo()
    off = counts.row != counts.col
    rows, cols, n = counts.row[off], counts.col[off], counts.data[off].astype(np.float64)
    out = np.zeros((dataset.n_items, dimensions), dtype=np.float32)
    if not len(n):
        return out
    marginal = np.bincount(rows, weights=n, minlength=dataset.n_items)
    pmi = np.log(n * n.sum() / (marginal[rows] * marginal[cols]))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (rows[keep], cols[keep])), shape=(dataset.n_items, dataset.n_items))
    k = min(dimensions, dataset.n_items)
    if ppmi.nnz == 0:
        return out
    u, s = _randomized_svd(ppmi, k, seed)
    out[:, :k] = u * np.sqrt(s)
    # svds fixes each singular vector only up to sign: make the largest entry positive, for determinism
    signs = np.sign(out[np.abs(out).argmax(axis=0), np.arange(dimensions)])
    out *= np.where(signs == 0, 1.0, signs).astype(np.float32)
    return normalise_rows(out)


def _randomized_svd(m: sp.csr_matrix, k: int, seed: int, power: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The top-k left singular vectors and values of `m` (Halko, Martinsson & Tropp 2011)."""
    rng = np.random.default_rng(seed)
    width = min(k + 16, m.shape[1])
    y = m @ rng.standard_normal((m.shape[1], width))
    for _ in range(power):  # column scaling keeps the powers finite; one QR at the end is enough
        y = m @ (m.T @ y)
        y /= np.maximum(np.linalg.norm(y, axis=0), 1e-300)
    q, _ = np.linalg.qr(y)
    u_small, s, _ = np.linalg.svd((m.T @ q).T, full_matrices=False)
    return (q @ u_small)[:, :k], s[:k]


def popular_items(dataset: Dataset, limit: int) -> np.ndarray:
    """The indices of the `limit` most bought items (every bought one when fewer), in index order. An
    item nobody bought has no weights to learn: leaving it out keeps a large catalogue's matrices to
    what sells."""
    popularity = dataset.item_popularity()
    bought = np.flatnonzero(popularity > 0)
    if limit >= len(bought):
        return bought
    return np.sort(np.argsort(-popularity, kind="stable")[:limit])


def ease_weights(dataset: Dataset, l2: float, columns: np.ndarray) -> np.ndarray:
    """(c, c) float32 EASE weights among `columns`, from the binary member x item matrix; zero diagonal."""
    x = dataset.user_items[:, columns]
    x.data[:] = 1.0
    gram = (x.T @ x).toarray().astype(np.float32)  # single precision: l2 keeps it well conditioned
    gram[np.diag_indices_from(gram)] += l2
    identity = np.eye(len(gram), dtype=np.float32)
    p = cho_solve(cho_factor(gram, overwrite_a=True), identity, overwrite_b=True)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


def _first_purchases(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line index, basket position) of each member's first purchase of each item, and line positions."""
    b = dataset.baskets
    basket_user = b.basket_users()
    position = np.arange(b.n_baskets) - b.user_indptr[basket_user]
    line_basket = b.line_baskets()
    keys = basket_user[line_basket].astype(np.int64) * dataset.n_items + b.items
    _, first = np.unique(keys, return_index=True)  # lines run oldest first within a member
    line_position = position[line_basket]
    return first, line_position[first], line_position


def next_basket_weights(dataset: Dataset, l2: float, columns: np.ndarray) -> np.ndarray:
    """(c, c) float32 ridge weights among `columns`: items bought before a visit -> items new at it."""
    b = dataset.baskets
    n_items = dataset.n_items
    line_basket = b.line_baskets()
    first, first_position, line_position = _first_purchases(dataset)
    is_new = np.zeros(len(b.items), dtype=bool)
    is_new[first] = True
    target = is_new & (line_position > 0)
    has_target = np.bincount(line_basket[target], minlength=b.n_baskets) > 0
    # Each first purchase is "in the history" of every later basket of that member.
    user = b.basket_users()[line_basket[first]]
    later = np.diff(b.user_indptr)[user] - 1 - first_position
    start = b.user_indptr[user] + first_position + 1
    offsets = np.arange(later.sum()) - np.repeat(np.cumsum(later) - later, later)
    rows = np.repeat(start, later) + offsets
    cols = np.repeat(b.items[first], later)
    keep = has_target[rows]
    shape = (b.n_baskets, n_items)
    x = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=shape)[:, columns]
    y = sp.csr_matrix((np.ones(int(target.sum())), (line_basket[target], b.items[target])), shape=shape)[
        :, columns
    ]
    gram = (x.T @ x).toarray().astype(np.float32)
    gram[np.diag_indices_from(gram)] += l2
    factor = cho_factor(gram, overwrite_a=True)
    return cho_solve(factor, (x.T @ y).toarray().astype(np.float32), overwrite_b=True)
