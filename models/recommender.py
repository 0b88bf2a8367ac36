"""The one interface every recommender implements (shaped after benfred/implicit's RecommenderBase).

A recommender is fitted on a `Dataset`, then scores every item for a batch of users. `recommend` turns
scores into top-k lists padded with -1; an item scored -inf (or NaN) is never recommended. Fitted state
is saved to a folder of ``.npy`` arrays plus ``manifest.json`` and loaded with ``allow_pickle=False``.

To add a method: subclass `Recommender`, set `name`, implement `_fit`, `_score`, `get_params`,
`_state` and `_restore`, and register it in `models.registry`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from models.dataset import Dataset

FORMAT = "aisle.recommender"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
JSONValue = str | int | float | bool | None
Progress = Callable[[str, float], None]  # (stage, fraction of the fit done), for a progress bar


class NotFittedError(RuntimeError):
    """The recommender was used before `fit` or `load`."""


class ArtefactError(ValueError):
    """A saved recommender folder is missing, incomplete or of another method or format version."""


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores per row, best first (ties by lower index), -1 where scores are -inf."""
    n, m = scores.shape
    s = np.where(np.isnan(scores), -np.inf, scores)
    kk = min(k, m)
    if kk == 0:
        return np.full((n, k), -1, dtype=np.int64)
    if kk < m:
        # The kk-th best score per row; of the items tied with it, the lowest indices fill the list.
        kth = -np.partition(-s, kk - 1, axis=1)[:, kk - 1 : kk]
        above = s > kth
        tied = s == kth
        room = kk - above.sum(axis=1, keepdims=True)
        chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
        cand = np.nonzero(chosen)[1].reshape(n, kk)
    else:
        cand = np.tile(np.arange(m), (n, 1))
    cand_scores = np.take_along_axis(s, cand, axis=1)
    order = np.lexsort((cand, -cand_scores), axis=1)
    best = np.take_along_axis(cand, order, axis=1).astype(np.int64)
    best[np.take_along_axis(cand_scores, order, axis=1) == -np.inf] = -1
    if kk < k:
        best = np.hstack([best, np.full((n, k - kk), -1, dtype=np.int64)])
    return best


class Recommender(ABC):
    """Fit on baskets, score items for users, recommend top-k lists, save and load."""

    name: ClassVar[str]
    batch_size: ClassVar[int] = 512  # users scored at once, fewer for wide catalogues
    max_batch_cells: ClassVar[int] = 2**24  # bound on a score batch's users x items

    def __init__(self) -> None:
        self._history: sp.csr_matrix | None = None
        self.user_ids: np.ndarray = np.zeros(0, dtype=str)
        self.item_ids: np.ndarray = np.zeros(0, dtype=str)

    @property
    def n_users(self) -> int:
        """Number of users seen at fit time."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of items seen at fit time."""
        return len(self.item_ids)

    def fit(self, dataset: Dataset, progress: Progress | None = None) -> Self:
        """Learn from every user's known baskets and remember what each user bought; `progress`, when
        given, is called with each stage's name and the fraction of the fit done (1.0 at the end)."""
        history = dataset.user_items.copy()
        history.data[:] = 1.0
        self._history = history
        self.user_ids = np.asarray(dataset.user_ids, dtype=str)
        self.item_ids = np.asarray(dataset.item_ids, dtype=str)
        self._fit(dataset, progress)
        if progress is not None:
            progress("done", 1.0)
        return self

    @abstractmethod
    def _fit(self, dataset: Dataset, progress: Progress | None = None) -> None:
        """Method-specific training; a method with stages reports them through `progress`."""

    @abstractmethod
    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """(n, n_items) float scores for checked user indices; -inf means "never recommend". `days`
        (checked, one date ordinal per user, or None) is the visit day, which time-blind methods ignore."""

    @abstractmethod
    def get_params(self) -> dict[str, JSONValue]:
        """The constructor arguments, as JSON values."""

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """Fitted arrays to save (numeric or str dtype only)."""

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Rebuild fitted state from the arrays `_state` returned."""

    def score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        """(n, n_items) float scores for these users, -inf for items never to recommend (for blending);
        `days`: the date ordinal of each user's visit (None: as of their last basket)."""
        users = self._check_users(user_indices)
        scores = np.array(self._score(users, self._check_days(days, len(users))))
        return scores if scores.dtype.kind == "f" else scores.astype(np.float64)

    def history(self, user_indices: np.ndarray) -> sp.csr_matrix:
        """Binary (n, n_items) matrix of the items these users bought before."""
        return self._fitted_history()[self._check_users(user_indices)]

    def recommend(
        self, user_indices: np.ndarray, k: int, exclude_history: bool = False, days: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, k) item indices, best first, padded with -1; `exclude_history` drops items bought before;
        `days`: the date ordinal of each user's visit (None: as of their last basket)."""
        users = self._check_users(user_indices)
        if int(k) != k or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        days = self._check_days(days, len(users))
        out = np.full((len(users), int(k)), -1, dtype=np.int64)
        rows = self._batch_rows()
        for start in range(0, len(users), rows):
            chunk = users[start : start + rows]
            chunk_days = None if days is None else days[start : start + rows]
            scores = self.ranking_scores(chunk, exclude_history, chunk_days)
            if exclude_history:
                seen = self.history(chunk).tocoo()
                scores[seen.row, seen.col] = -np.inf
            out[start : start + len(chunk)] = top_k(scores, int(k))
        return out

    def ranking_scores(
        self, user_indices: np.ndarray, exclude_history: bool, days: np.ndarray | None = None
    ) -> np.ndarray:
        """The scores `recommend` ranks by; a method with a ranker of its own for never-bought items
        (the explore-only track) returns that when `exclude_history` is set."""
        return self.score(user_indices, days)

    def similar_items(self, item_indices: np.ndarray, k: int) -> np.ndarray:
        """(n, k) items most like each given item (itself excluded), padded with -1."""
        raise NotImplementedError(f"{self.name} has no notion of item similarity")

    def save(self, folder: str | Path) -> Path:
        """Write the fitted state to `folder` (created if needed) as .npy arrays and manifest.json."""
        history = self._fitted_history()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {f"model.{key}": value for key, value in self._state().items()}
        arrays.update(
            {
                "history.indptr": history.indptr,
                "history.indices": history.indices,
                "user_ids": self.user_ids,
                "item_ids": self.item_ids,
            }
        )
        for key, value in arrays.items():
            if np.asarray(value).dtype.kind not in "biufU":
                raise ArtefactError(f"{self.name}: array {key!r} has dtype {value.dtype}, not storable")
            np.save(folder / f"{key}.npy", np.asarray(value), allow_pickle=False)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "method": self.name,
            "params": self.get_params(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "arrays": sorted(arrays),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Self:
        """Rebuild a recommender saved by `save`; refuses another method or format version."""
        manifest, arrays = read_artefact(folder)
        if manifest.get("method") != cls.name:
            raise ArtefactError(f"{folder}: holds a {manifest.get('method')!r} model, not {cls.name!r}")
        try:
            model = cls(**manifest.get("params", {}))
            model.user_ids = arrays["user_ids"]
            model.item_ids = arrays["item_ids"]
            indptr, indices = arrays["history.indptr"], arrays["history.indices"]
            model._history = sp.csr_matrix(
                (np.ones(len(indices), dtype=np.float32), indices, indptr),
                shape=(model.n_users, model.n_items),
            )
            model._restore({k[len("model.") :]: v for k, v in arrays.items() if k.startswith("model.")})
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtefactError(f"{folder}: incomplete or inconsistent {cls.name} artefact: {exc!r}") from exc
        return model

    def _batch_rows(self) -> int:
        """How many users to score at once so a batch stays under `max_batch_cells` scores."""
        return max(1, min(self.batch_size, self.max_batch_cells // max(self.n_items, 1)))

    def _fitted_history(self) -> sp.csr_matrix:
        if self._history is None:
            raise NotFittedError(f"{self.name}: call fit() or load() first")
        return self._history

    def _check_users(self, user_indices: np.ndarray) -> np.ndarray:
        n_users = self._fitted_history().shape[0]
        users = np.asarray(user_indices)
        if users.ndim != 1 or (users.size and users.dtype.kind not in "iu"):
            raise ValueError("user_indices must be a 1-D array of integer user indices")
        users = users.astype(np.int64)
        if users.size and (users.min() < 0 or users.max() >= n_users):
            raise IndexError(f"user index out of range 0..{n_users - 1}")
        return users

    @staticmethod
    def _check_days(days: np.ndarray | None, n: int) -> np.ndarray | None:
        """One finite date ordinal per user as float64, or None."""
        if days is None:
            return None
        out = np.asarray(days)
        if out.shape != (n,) or (out.size and out.dtype.kind not in "iuf"):
            raise ValueError(f"days must be a 1-D array of {n} date ordinals")
        out = out.astype(np.float64)
        if not np.isfinite(out).all():
            raise ValueError("days must be finite date ordinals")
        return out

    def _check_items(self, item_indices: np.ndarray) -> np.ndarray:
        items = np.asarray(item_indices)
        if items.ndim != 1 or (items.size and items.dtype.kind not in "iu"):
            raise ValueError("item_indices must be a 1-D array of integer item indices")
        items = items.astype(np.int64)
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise IndexError(f"item index out of range 0..{self.n_items - 1}")
        return items


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a saved recommender folder, checked for format and version."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtefactError(f"{folder}: no readable {MANIFEST}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ArtefactError(f"{folder}: {MANIFEST} is not a JSON object")
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(
            f"{folder}: format {manifest.get('format')!r} v{manifest.get('format_version')!r}, "
            f"expected {FORMAT!r} v{FORMAT_VERSION}"
        )
    names = manifest.get("arrays")
    if not isinstance(names, list) or not all(isinstance(n, str) and n and "/" not in n for n in names):
        raise ArtefactError(f"{folder}: {MANIFEST} has no valid list of arrays")
    return manifest


def read_artefact(folder: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and arrays of a saved recommender folder, loaded without pickle."""
    manifest = read_manifest(folder)
    try:
        arrays = {key: np.load(Path(folder) / f"{key}.npy", allow_pickle=False) for key in manifest["arrays"]}
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"{folder}: cannot load arrays: {exc}") from exc
    return manifest, arrays
