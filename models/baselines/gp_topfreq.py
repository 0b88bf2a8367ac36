"""GP-TopFreq: the member's own most frequent items first, then the globally most frequent ones."""

from __future__ import annotations

import numpy as np

from models.baselines.g_topfreq import popularity_scores
from models.baselines.p_topfreq import PersonalTopFreq
from models.dataset import Dataset
from models.recommender import Progress


class GlobalPersonalTopFreq(PersonalTopFreq):
    """P-TopFreq's list, filled up with G-TopFreq's items the member has not bought."""

    name = "gp-topfreq"

    def __init__(self) -> None:
        super().__init__()
        self._popularity = np.zeros(0)

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        super()._fit(dataset)
        self._popularity = popularity_scores(dataset)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Bought items score 1 + their personal frequency; others their popularity share in [0, 1)."""
        personal = self._personal[user_indices].toarray().astype(np.float64)
        finite = np.isfinite(self._popularity)
        share = np.where(finite, self._popularity / (self._popularity[finite].max(initial=0) + 1), -np.inf)
        return np.where(personal > 0, 1.0 + personal, share[None, :])

    def _state(self) -> dict[str, np.ndarray]:
        return {**super()._state(), "popularity": self._popularity}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        self._popularity = arrays["popularity"]
