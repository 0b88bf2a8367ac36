"""Item co-occurrence: recommend the items most often in the same basket as the member's items."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.dataset import Dataset
from models.recommender import JSONValue, Progress, Recommender, top_k

NORMALISATIONS = ("cosine", "conditional")


def keep_top_per_row(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """The same matrix with only the n largest entries of each row (ties: lower column first)."""
    m = m.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((m.indices, -m.data, rows))
    rank = np.arange(len(order)) - m.indptr[rows[order]]
    keep = order[rank < n]
    pruned = sp.csr_matrix((m.data[keep], (rows[keep], m.indices[keep])), shape=m.shape)
    pruned.sort_indices()
    return pruned


def cooccurrence_matrix(dataset: Dataset, normalisation: str, max_neighbors: int) -> sp.csr_matrix:
    """(n_items, n_items) CSR of normalised same-basket counts, no diagonal, top partners per item.

    "cosine" divides the count by sqrt(baskets(i) * baskets(j)); "conditional" by baskets(i), the
    share of i's baskets that also hold j."""
    baskets = dataset.basket_items
    counts = (baskets.T @ baskets).tocsr().astype(np.float64)
    counts.setdiag(0)
    counts.eliminate_zeros()
    popularity = dataset.item_popularity()
    safe = np.where(popularity > 0, popularity, 1.0)
    coo = counts.tocoo()
    if normalisation == "cosine":
        values = coo.data / np.sqrt(safe[coo.row] * safe[coo.col])
    else:
        values = coo.data / safe[coo.row]
    normalised = sp.csr_matrix((values, (coo.row, coo.col)), shape=counts.shape)
    return keep_top_per_row(normalised, max_neighbors)


class ItemCooccurrence(Recommender):
    """Sums, over the member's past items, how strongly each item goes with them."""

    name = "cooccurrence"

    def __init__(self, normalisation: str = "cosine", max_neighbors: int = 200) -> None:
        super().__init__()
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
        if max_neighbors < 1:
            raise ValueError("max_neighbors must be at least 1")
        self.normalisation = normalisation
        self.max_neighbors = max_neighbors
        self._partners = sp.csr_matrix((0, 0))

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        self._partners = cooccurrence_matrix(dataset, self.normalisation, self.max_neighbors)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Summed partner strength from the user's past items; -inf where none."""
        scores = (self.history(user_indices) @ self._partners).toarray()
        scores[scores <= 0] = -np.inf
        return scores

    def similar_items(self, item_indices: np.ndarray, k: int) -> np.ndarray:
        """The items most often bought together with each given item."""
        items = self._check_items(item_indices)
        scores = self._partners[items].toarray()
        scores[scores <= 0] = -np.inf
        return top_k(scores, k)

    def get_params(self) -> dict[str, JSONValue]:
        """The constructor arguments."""
        return {"normalisation": self.normalisation, "max_neighbors": self.max_neighbors}

    def _state(self) -> dict[str, np.ndarray]:
        p = self._partners
        return {"data": p.data, "indices": p.indices, "indptr": p.indptr}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        shape = (self.n_items, self.n_items)
        self._partners = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
