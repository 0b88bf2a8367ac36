"""G-TopFreq: the same list for everyone, the items in the most baskets overall."""

from __future__ import annotations

import numpy as np

from models.dataset import Dataset
from models.recommender import JSONValue, Progress, Recommender


def popularity_scores(dataset: Dataset) -> np.ndarray:
    """Number of baskets holding each item, -inf for items in none."""
    popularity = dataset.item_popularity()
    return np.where(popularity > 0, popularity, -np.inf)


class GlobalTopFreq(Recommender):
    """Recommends the globally most frequent items (ties: lower item index first)."""

    name = "g-topfreq"

    def __init__(self) -> None:
        super().__init__()
        self._popularity = np.zeros(0)

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        self._popularity = popularity_scores(dataset)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Every user gets the item popularity."""
        return np.tile(self._popularity, (len(user_indices), 1))

    def get_params(self) -> dict[str, JSONValue]:
        """No hyper-parameters."""
        return {}

    def _state(self) -> dict[str, np.ndarray]:
        return {"popularity": self._popularity}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._popularity = arrays["popularity"]
