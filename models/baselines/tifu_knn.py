"""TIFU-KNN (Hu et al., SIGIR 2020): time-decayed personal item frequency blended with its nearest users.

A member's baskets are cut into groups of `group_size` consecutive baskets counted back from the latest
(the oldest group may be shorter). Inside a group, a basket `p` places before the group's latest counts
`within_decay ** p`, averaged over the group; a group `g` groups before the latest counts
`group_decay ** g`, averaged over the groups. The resulting personal vector is blended with the mean
vector of the `k_neighbors` members most similar to it (cosine):
`alpha * own + (1 - alpha) * neighbours`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.dataset import Dataset
from models.recommender import JSONValue, Progress, Recommender


def tifu_vectors(dataset: Dataset, group_size: int, within_decay: float, group_decay: float) -> sp.csr_matrix:
    """(n_users, n_items) CSR of the time-decayed personal item frequencies."""
    b = dataset.baskets
    basket_user = b.basket_users()
    n_baskets = np.diff(b.user_indptr)[basket_user]
    from_end = n_baskets - 1 - (np.arange(b.n_baskets) - b.user_indptr[basket_user])
    group = from_end // group_size
    n_groups = -(-n_baskets // group_size)
    oldest_size = n_baskets - group_size * (n_groups - 1)
    size = np.where(group == n_groups - 1, oldest_size, group_size)
    weight = (within_decay ** (from_end % group_size)) / size * (group_decay**group) / n_groups
    line_weight = np.repeat(weight, np.diff(b.basket_indptr))
    line_user = np.repeat(basket_user, np.diff(b.basket_indptr))
    vectors = sp.csr_matrix((line_weight, (line_user, b.items)), shape=(dataset.n_users, dataset.n_items))
    vectors.sum_duplicates()
    vectors.sort_indices()
    return vectors


def _normalise_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ m


class TifuKnn(Recommender):
    """Personal decayed frequencies blended with those of the nearest members."""

    name = "tifu-knn"

    def __init__(
        self,
        k_neighbors: int = 300,
        group_size: int = 7,
        within_decay: float = 0.9,
        group_decay: float = 0.7,
        alpha: float = 0.7,
    ) -> None:
        super().__init__()
        if k_neighbors < 1 or group_size < 1:
            raise ValueError("k_neighbors and group_size must be at least 1")
        if not (0 < within_decay <= 1 and 0 < group_decay <= 1 and 0 <= alpha <= 1):
            raise ValueError("decay rates must be in (0, 1] and alpha in [0, 1]")
        self.k_neighbors = k_neighbors
        self.group_size = group_size
        self.within_decay = within_decay
        self.group_decay = group_decay
        self.alpha = alpha
        self._vectors = sp.csr_matrix((0, 0))
        self._unit = sp.csr_matrix((0, 0))

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        self._vectors = tifu_vectors(dataset, self.group_size, self.within_decay, self.group_decay)
        self._unit = _normalise_rows(self._vectors).tocsr()

    def _batch_rows(self) -> int:
        # a batch also holds its similarity to every user
        return max(1, min(super()._batch_rows(), self.max_batch_cells // max(self.n_users, 1)))

    def neighbours(self, user_indices: np.ndarray) -> np.ndarray:
        """(n, k) indices of each user's most similar other users, most similar first."""
        users = np.asarray(user_indices, dtype=np.int64)
        sims = (self._unit[users] @ self._unit.T).toarray()
        sims[np.arange(len(users)), users] = -np.inf
        k = min(self.k_neighbors, self._unit.shape[0] - 1)
        if k < 1:
            return np.zeros((len(users), 0), dtype=np.int64)
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, near, axis=1), axis=1, kind="stable")
        return np.take_along_axis(near, order, axis=1)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Blend of own and neighbours' vectors; items neither holds are -inf."""
        users = np.asarray(user_indices, dtype=np.int64)
        own = self._vectors[users].toarray()
        near = self.neighbours(users)
        if near.shape[1]:
            rows = np.repeat(np.arange(len(users)), near.shape[1])
            pick = sp.csr_matrix(
                (np.full(near.size, 1.0 / near.shape[1]), (rows, near.ravel())),
                shape=(len(users), self._vectors.shape[0]),
            )
            scores = self.alpha * own + (1 - self.alpha) * (pick @ self._vectors).toarray()
        else:
            scores = own
        scores[scores <= 0] = -np.inf
        return scores

    def get_params(self) -> dict[str, JSONValue]:
        """The constructor arguments."""
        return {
            "k_neighbors": self.k_neighbors,
            "group_size": self.group_size,
            "within_decay": self.within_decay,
            "group_decay": self.group_decay,
            "alpha": self.alpha,
        }

    def _state(self) -> dict[str, np.ndarray]:
        v = self._vectors
        return {"data": v.data, "indices": v.indices, "indptr": v.indptr}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        shape = (self.n_users, self.n_items)
        self._vectors = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        self._unit = _normalise_rows(self._vectors).tocsr()
