"""A catalogue of item vectors searchable by inner product (cosine for unit vectors), kept up to date.

Up to `hnsw_threshold` items the index is exact (faiss ``IndexFlatIP``); beyond it, approximate
(``IndexHNSWFlat``). Both sit in an ``IndexIDMap2`` whose labels are slots: each add takes fresh slots,
and `slot_items` says which item id a slot holds. Removing from the exact index deletes the vectors;
HNSW cannot delete, so removed slots become tombstones skipped at search time, and the index is rebuilt
once tombstones pass `rebuild_share` of it. An HNSW search restricted to a small share of the items
(by `exclude` / `allowed`) scores those items exactly instead of walking the graph. Saved as
``index.faiss`` plus ``.npy`` arrays and ``manifest.json``; loaded without pickle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

import faiss
import numpy as np

FORMAT = "aisle.catalog-index"
FORMAT_VERSION = 1
EXACT, HNSW = "exact", "hnsw"
BRUTE_FORCE_SHARE = 0.1  # HNSW searches allowing fewer items than this share score them exactly


class CatalogIndexError(ValueError):
    """Bad vectors or ids given to the index, or an unreadable saved index."""


class CatalogIndex:
    """Item vectors by integer item id: upsert, remove, top-k search with exclusions, save and load."""

    def __init__(
        self,
        dimensions: int,
        hnsw_threshold: int = 200_000,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
        rebuild_share: float = 0.2,
        model_name: str = "",
    ) -> None:
        if dimensions < 1 or hnsw_threshold < 0 or hnsw_m < 2 or ef_search < 1 or ef_construction < 1:
            raise ValueError("dimensions, hnsw_m, ef_search and ef_construction must be positive")
        if not 0 < rebuild_share <= 1:
            raise ValueError("rebuild_share must be in (0, 1]")
        self.dimensions = dimensions
        self.hnsw_threshold = hnsw_threshold
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.rebuild_share = rebuild_share
        self.model_name = model_name
        self.data_window: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self.kind = EXACT
        self._index = self._new_index(EXACT)
        self.slot_items = np.zeros(0, dtype=np.int64)  # item id held by each slot
        self.slot_alive = np.zeros(0, dtype=bool)
        self._slot_of: dict[int, int] = {}

    def _new_index(self, kind: str) -> Any:
        if kind == EXACT:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimensions))
        inner = faiss.IndexHNSWFlat(self.dimensions, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = self.ef_construction
        inner.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(inner)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, int | np.integer) and int(item_id) in self._slot_of

    @property
    def tombstones(self) -> int:
        """Removed items still taking room in an HNSW index."""
        return int(self._index.ntotal) - len(self)

    def item_ids(self) -> np.ndarray:
        """The ids of the items in the index, in slot order."""
        return self.slot_items[self.slot_alive].copy()

    def _check_vectors(self, vectors: np.ndarray) -> np.ndarray:
        v = np.asarray(vectors, dtype=np.float32)
        if v.ndim == 1:
            v = v[None, :]
        if v.ndim != 2 or v.shape[1] != self.dimensions:
            raise CatalogIndexError(f"expected vectors of {self.dimensions} dimensions, got shape {v.shape}")
        if not np.isfinite(v).all():
            raise CatalogIndexError("vectors must be finite")
        return np.ascontiguousarray(v)

    @staticmethod
    def _check_ids(ids: np.ndarray) -> np.ndarray:
        a = np.asarray(ids)
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise CatalogIndexError("item ids must be a 1-D array of integers")
        a = a.astype(np.int64)
        if a.size and a.min() < 0:
            raise CatalogIndexError("item ids must be non-negative")
        return a

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert items, replacing the vectors of ids already present; switches to HNSW past the threshold."""
        ids = self._check_ids(ids)
        v = self._check_vectors(vectors)
        if len(ids) != len(v):
            raise CatalogIndexError(f"{len(ids)} ids for {len(v)} vectors")
        if len(np.unique(ids)) != len(ids):
            raise CatalogIndexError("item ids must be unique within one add")
        self.remove(ids[np.fromiter((int(i) in self._slot_of for i in ids), bool, len(ids))], rebuild=False)
        slots = np.arange(len(self.slot_items), len(self.slot_items) + len(ids), dtype=np.int64)
        self._index.add_with_ids(v, slots)
        self.slot_items = np.concatenate([self.slot_items, ids])
        self.slot_alive = np.concatenate([self.slot_alive, np.ones(len(ids), dtype=bool)])
        self._slot_of.update(zip(ids.tolist(), slots.tolist(), strict=True))
        if self.kind == EXACT and len(self) > self.hnsw_threshold:
            self.rebuild()
        else:
            self._maybe_rebuild()

    def remove(self, ids: np.ndarray, rebuild: bool = True) -> int:
        """Take items out (unknown ids are ignored); returns how many were removed."""
        ids = self._check_ids(ids)
        slots = np.array([self._slot_of.pop(int(i)) for i in ids if int(i) in self._slot_of], dtype=np.int64)
        if not len(slots):
            return 0
        self.slot_alive[slots] = False
        if self.kind == EXACT:
            self._index.remove_ids(faiss.IDSelectorBatch(slots))
        elif rebuild:
            self._maybe_rebuild()
        return len(slots)

    def _maybe_rebuild(self) -> None:
        if self.kind == HNSW and self.tombstones > self.rebuild_share * max(int(self._index.ntotal), 1):
            self.rebuild()

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these item ids (KeyError for an id not in the index)."""
        ids = self._check_ids(ids)
        out = np.zeros((len(ids), self.dimensions), dtype=np.float32)
        for row, item in enumerate(ids.tolist()):
            if item not in self._slot_of:
                raise KeyError(f"item {item} is not in the index")
            out[row] = self._index.reconstruct(self._slot_of[item])
        return out

    def rebuild(self) -> None:
        """Rebuild without tombstones, choosing exact or HNSW by the current item count."""
        if self._index.ntotal:
            inner = faiss.downcast_index(self._index.index)
            stored = inner.reconstruct_n(0, inner.ntotal)
            slots = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            keep = self.slot_alive[slots]
            ids, v = self.slot_items[slots[keep]], stored[keep]
        else:
            ids, v = np.zeros(0, dtype=np.int64), np.zeros((0, self.dimensions), dtype=np.float32)
        self.kind = HNSW if len(ids) > self.hnsw_threshold else EXACT
        self._index = self._new_index(self.kind)
        self.slot_items = np.zeros(0, dtype=np.int64)
        self.slot_alive = np.zeros(0, dtype=bool)
        self._slot_of = {}
        if len(ids):
            self.add(ids, v)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, **params: Any) -> Self:
        """A new index holding these items (exact or HNSW by their number)."""
        index = cls(np.asarray(vectors).shape[-1], **params)
        index.add(ids, vectors)
        return index

    def search(
        self,
        queries: np.ndarray,
        k: int,
        exclude: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores), each (n, k), best first; padded with -1 and -inf. `exclude` lists item ids
        never returned; `allowed` is a boolean mask by item id (ids past its end are not allowed)."""
        q = self._check_vectors(queries)
        if int(k) != k or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        banned = ~self.slot_alive
        if exclude is not None:
            banned |= np.isin(self.slot_items, self._check_ids(exclude))
        if allowed is not None:
            mask = np.asarray(allowed, dtype=bool)
            inside = self.slot_items < len(mask)
            banned |= ~inside
            banned[inside] |= ~mask[self.slot_items[inside]]
        kk = min(int(k), int(self._index.ntotal))
        ids = np.full((len(q), int(k)), -1, dtype=np.int64)
        scores = np.full((len(q), int(k)), -np.inf, dtype=np.float32)
        if kk == 0 or banned.all():
            return ids, scores
        kept = np.flatnonzero(~banned)
        if self.kind == HNSW and len(kept) < BRUTE_FORCE_SHARE * len(banned):
            # A graph walk confined to a few items strands before finding k of them: score them all.
            found_scores, slots = self._brute_force(q, kept.astype(np.int64), kk)
        else:
            params, selector = self._search_params(banned, kk)
            found_scores, slots = self._index.search(q, kk, params=params)
            del selector  # faiss held a raw pointer to it until now
        ok = slots >= 0
        ids[:, :kk][ok] = self.slot_items[slots[ok]]
        scores[:, :kk][ok] = found_scores[ok]
        return ids, scores

    def _brute_force(self, q: np.ndarray, slots: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among the given slots: (scores, slots), padded with -inf and -1."""
        scores = q @ self._index.reconstruct_batch(slots).T
        kk = min(k, len(slots))
        best = np.argsort(-scores, axis=1, kind="stable")[:, :kk]
        out_scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        out_slots = np.full((len(q), k), -1, dtype=np.int64)
        out_scores[:, :kk] = np.take_along_axis(scores, best, axis=1)
        out_slots[:, :kk] = slots[best]
        return out_scores, out_slots

    def _search_params(self, banned: np.ndarray, k: int) -> tuple[Any, Any]:
        selector: Any = None
        if banned.any():
            banned_slots = np.flatnonzero(banned).astype(np.int64)
            kept_slots = np.flatnonzero(~banned).astype(np.int64)
            if len(kept_slots) < len(banned_slots):
                selector = faiss.IDSelectorBatch(kept_slots)
            else:
                selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(banned_slots))
        if self.kind == HNSW:
            # the stubs faiss ships lack the HNSW search parameters, which faiss >= 1.7.3 has
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, 2 * k))  # type: ignore[attr-defined]
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        return params, selector

    def save(self, folder: str | Path) -> Path:
        """Write ``index.faiss``, the slot arrays and ``manifest.json`` to `folder` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / "index.faiss"))
        np.save(folder / "slot_items.npy", self.slot_items, allow_pickle=False)
        np.save(folder / "slot_alive.npy", self.slot_alive, allow_pickle=False)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_name": self.model_name,
            "dimensions": self.dimensions,
            "kind": self.kind,
            "count": len(self),
            "data_window": self.data_window,
            "metrics": self.metrics,
            "params": {
                "hnsw_threshold": self.hnsw_threshold,
                "hnsw_m": self.hnsw_m,
                "ef_construction": self.ef_construction,
                "ef_search": self.ef_search,
                "rebuild_share": self.rebuild_share,
            },
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Self:
        """Read an index written by `save`, checking that its parts agree."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
                raise CatalogIndexError(f"{folder}: not a {FORMAT} v{FORMAT_VERSION} folder")
            index = cls(int(manifest["dimensions"]), model_name=manifest["model_name"], **manifest["params"])
            index._index = faiss.read_index(str(folder / "index.faiss"))
            index.slot_items = np.load(folder / "slot_items.npy", allow_pickle=False).astype(np.int64)
            index.slot_alive = np.load(folder / "slot_alive.npy", allow_pickle=False).astype(bool)
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CatalogIndexError(f"{folder}: cannot load the catalogue index: {exc}") from exc
        index.kind = manifest["kind"]
        index.data_window = manifest.get("data_window", {})
        index.metrics = manifest.get("metrics", {})
        alive = np.flatnonzero(index.slot_alive)
        index._slot_of = dict(zip(index.slot_items[alive].tolist(), alive.tolist(), strict=True))
        if index._index.d != index.dimensions or len(index.slot_items) != len(index.slot_alive):
            raise CatalogIndexError(f"{folder}: index and arrays disagree on dimensions or size")
        if index.kind == HNSW:
            inner: Any = faiss.downcast_index(index._index.index)
            inner.hnsw.efSearch = index.ef_search
        return index
