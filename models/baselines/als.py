"""ALS matrix factorisation (implicit's CPU AlternatingLeastSquares) on member x item basket counts.

implicit runs its own thread pool; BLAS threads are limited to one while it fits (as implicit advises;
for other entry points set OPENBLAS_NUM_THREADS=1 in the environment).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import bm25_weight
from threadpoolctl import threadpool_limits

from models.dataset import Dataset
from models.recommender import JSONValue, Progress, Recommender, top_k

WEIGHTINGS = ("bm25", "confidence")


class ALS(Recommender):
    """Latent factors for members and items; a member's score for an item is their dot product."""

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        weighting: str = "bm25",
        confidence: float = 10.0,
        bm25_k1: float = 100.0,
        bm25_b: float = 0.8,
        random_state: int = 0,
        num_threads: int = 0,
    ) -> None:
        super().__init__()
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        if factors < 1 or iterations < 1:
            raise ValueError("factors and iterations must be at least 1")
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.weighting = weighting
        self.confidence = confidence
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.random_state = random_state
        self.num_threads = num_threads
        self._user_factors = np.zeros((0, factors), dtype=np.float32)
        self._item_factors = np.zeros((0, factors), dtype=np.float32)

    def weighted(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """The confidence matrix ALS fits: BM25-weighted counts, or 1 + confidence * count."""
        if self.weighting == "bm25":
            return bm25_weight(user_items, K1=self.bm25_k1, B=self.bm25_b).tocsr().astype(np.float32)
        out = user_items.copy().astype(np.float32)
        out.data = 1.0 + self.confidence * out.data
        return out

    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            )
            model.fit(self.weighted(dataset.user_items), show_progress=False)
        self._user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self._item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """Dot product of user and item factors."""
        return self._user_factors[np.asarray(user_indices)] @ self._item_factors.T

    def similar_items(self, item_indices: np.ndarray, k: int) -> np.ndarray:
        """Items whose factors point the same way (cosine), the item itself excluded."""
        items = self._check_items(item_indices)
        norms = np.linalg.norm(self._item_factors, axis=1)
        unit = self._item_factors / np.where(norms > 0, norms, 1.0)[:, None]
        scores = (unit[items] @ unit.T).astype(np.float64)
        scores[np.arange(len(items)), items] = -np.inf
        return top_k(scores, k)

    def get_params(self) -> dict[str, JSONValue]:
        """The constructor arguments."""
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "iterations": self.iterations,
            "weighting": self.weighting,
            "confidence": self.confidence,
            "bm25_k1": self.bm25_k1,
            "bm25_b": self.bm25_b,
            "random_state": self.random_state,
            "num_threads": self.num_threads,
        }

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_factors": self._user_factors, "item_factors": self._item_factors}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._user_factors = arrays["user_factors"]
        self._item_factors = arrays["item_factors"]
