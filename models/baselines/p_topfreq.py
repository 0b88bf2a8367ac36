"""P-TopFreq: each member's own most frequently bought items, nothing else."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.dataset import Dataset
from models.recommender import JSONValue, Progress, Recommender


def personal_frequency(dataset: Dataset) -> sp.csr_matrix:
    """(n_users, n_items) CSR: baskets holding the item, plus a recency share in (0, 1) to break ties.

    The share is (position of the user's last basket with the item + 1) / (user's basket count + 1),
    so of two items bought equally often the one bought more recently ranks first."""
    b = dataset.baskets
    basket_user = b.basket_users()
    position = np.arange(b.n_baskets) - b.user_indptr[basket_user]
    n_baskets = np.diff(b.user_indptr)[basket_user]
    line_user = np.repeat(basket_user, np.diff(b.basket_indptr)).astype(np.int64)
    line_recency = np.repeat((position + 1) / (n_baskets + 1), np.diff(b.basket_indptr))
    keys = line_user * dataset.n_items + b.items
    # Lines are in time order within a user, so the last occurrence of a key is the most recent one.
    _, last = np.unique(keys[::-1], return_index=True)
    last = len(keys) - 1 - last
    recency = sp.csr_matrix(
        (line_recency[last], (line_user[last], b.items[last])), shape=(dataset.n_users, dataset.n_items)
    )
    scores = (dataset.user_items + recency).tocsr()
    scores.sort_indices()
    return scores


class PersonalTopFreq(Recommender):
    """Recommends the member's own most frequent items; padded with -1 past them."""

    name = "p-topfreq"

    def __init__(self) -> None:
        super().__init__()
        self._personal = sp.csr_matrix((0, 0))

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        self._personal = personal_frequency(dataset)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Personal frequency for bought items, -inf for the rest."""
        dense = self._personal[user_indices].toarray().astype(np.float64)
        dense[dense == 0] = -np.inf
        return dense

    def get_params(self) -> dict[str, JSONValue]:
        """No hyper-parameters."""
        return {}

    def _state(self) -> dict[str, np.ndarray]:
        p = self._personal
        return {"data": p.data, "indices": p.indices, "indptr": p.indptr}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        shape = (self.n_users, self.n_items)
        self._personal = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
