"""A catalogue of item vectors searchable by inner product (cosine for unit vectors), kept up to date.

Up to `hnsw_threshold` items the index is exact (faiss ``IndexFlatIP``); beyond it, approximate
(``IndexHNSWFlat``). Both sit in an ``IndexIDMap2`` whose labels are slots: each add takes fresh slots,
and `slot_items` says which item id a slot holds; the vectors are also kept by slot in a float32
matrix, and item id -> slot in arrays sorted by id, so lookups are vectorised. Removing from the exact
index deletes the vectors; HNSW cannot delete, so removed slots become tombstones skipped at search time,
and the index is rebuilt once tombstones pass `rebuild_share` of it. Filters cost O(len(filter)): a few
excluded items are dropped from an over-fetched plain search, more go to faiss as a slot bitmap, and a
search restricted to few items scores them exactly instead of walking the graph. Saved as ``index.faiss``
plus ``.npy`` arrays and ``manifest.json``; loaded without pickle.
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
BRUTE_FORCE_ITEMS = 2048  # ... as does any search allowing at most this many
OVER_FETCH = 64  # at most this many excluded items are fetched past and dropped, rather than filtered


class CatalogIndexError(ValueError):
    """Bad vectors or ids given to the index, or an unreadable saved index."""


class _SlotsById:
    """Item id -> slot as two arrays sorted by id: binary-search lookups, O(n) memmove updates."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.slots = np.zeros(0, dtype=np.int64)

    def find(self, ids: np.ndarray) -> np.ndarray:
        """The slot of each id, -1 where absent."""
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[at] == ids, self.slots[at], -1)

    def insert(self, ids: np.ndarray, slots: np.ndarray) -> None:
        """Add ids not present yet."""
        order = np.argsort(ids, kind="stable")
        at = np.searchsorted(self.ids, ids[order])
        self.ids = np.insert(self.ids, at, ids[order])
        self.slots = np.insert(self.slots, at, slots[order])

    def pop(self, ids: np.ndarray) -> np.ndarray:
        """Drop these ids (each once, unknown ones ignored); returns their slots."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, np.unique(ids)), len(self.ids) - 1)
        at = at[self.ids[at] == np.unique(ids)]
        slots = self.slots[at]
        self.ids, self.slots = np.delete(self.ids, at), np.delete(self.slots, at)
        return slots


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
        # How much similarity by these vectors counts in suggestions (models.text_usability): set at build,
        # 0 when the model cannot read the catalogue's text.
        self.text_weight = 1.0
        self.data_window: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self._reset(EXACT)

    def _reset(self, kind: str) -> None:
        self.kind = kind
        self._index = self._new_index(kind)
        self._n = 0  # slots taken; the arrays below have room for more
        self._items = np.zeros(0, dtype=np.int64)  # item id held by each slot
        self._alive = np.zeros(0, dtype=bool)
        self._stored = np.zeros((0, self.dimensions), dtype=np.float32)  # vector of each slot
        self._by_id = _SlotsById()
        self._alive_bits: np.ndarray | None = None  # slot_alive as a faiss bitmap, made when needed

    def _new_index(self, kind: str) -> Any:
        if kind == EXACT:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimensions))
        inner = faiss.IndexHNSWFlat(self.dimensions, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = self.ef_construction
        inner.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(inner)

    def __len__(self) -> int:
        return len(self._by_id.ids)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, int | np.integer) or not 0 <= int(item_id) < 2**63:
            return False
        return bool(self.holds(np.array([int(item_id)], dtype=np.int64))[0])

    def holds(self, item_ids: np.ndarray) -> np.ndarray:
        """For each item id, whether the index holds a vector for it."""
        ids = np.asarray(item_ids, dtype=np.int64).reshape(-1)
        return np.asarray(self._by_id.find(ids) >= 0, dtype=bool)

    @property
    def slot_items(self) -> np.ndarray:
        """The item id held by each slot (a read-only view)."""
        view = self._items[: self._n]
        view.flags.writeable = False
        return view

    @property
    def slot_alive(self) -> np.ndarray:
        """Whether each slot still holds its item (a read-only view)."""
        view = self._alive[: self._n]
        view.flags.writeable = False
        return view

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
        self.remove(ids, rebuild=False)
        start, end = self._n, self._n + len(ids)
        slots = np.arange(start, end, dtype=np.int64)
        self._index.add_with_ids(v, slots)
        if end > len(self._items):  # room doubles (zeroed pages cost nothing until used): O(1) amortised
            room = max(end, 2 * len(self._items))
            self._items = np.concatenate([self._items[:start], np.zeros(room - start, dtype=np.int64)])
            self._alive = np.concatenate([self._alive[:start], np.zeros(room - start, dtype=bool)])
            stored = np.zeros((room, self.dimensions), dtype=np.float32)
            stored[:start] = self._stored[:start]
            self._stored = stored
        self._items[start:end], self._alive[start:end], self._stored[start:end] = ids, True, v
        self._n = end
        self._by_id.insert(ids, slots)
        self._alive_bits = None
        if self.kind == EXACT and len(self) > self.hnsw_threshold:
            self.rebuild()
        else:
            self._maybe_rebuild()

    def remove(self, ids: np.ndarray, rebuild: bool = True) -> int:
        """Take items out (unknown ids are ignored); returns how many were removed."""
        slots = self._by_id.pop(self._check_ids(ids))
        if not len(slots):
            return 0
        self._alive[slots] = False
        self._alive_bits = None
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
        slots = self._by_id.find(ids)
        if (slots < 0).any():
            raise KeyError(f"item {ids[np.argmax(slots < 0)]} is not in the index")
        return self._stored[slots]

    def rebuild(self) -> None:
        """Rebuild without tombstones, choosing exact or HNSW by the current item count."""
        alive = np.flatnonzero(self.slot_alive)
        ids, v = self._items[alive], self._stored[alive]
        self._reset(HNSW if len(ids) > self.hnsw_threshold else EXACT)
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
        k = int(k)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        banned = np.zeros(0, dtype=np.int64)
        if exclude is not None:
            found = self._by_id.find(np.unique(self._check_ids(exclude)))
            banned = found[found >= 0]
        if allowed is not None:
            kept = self._allowed_slots(allowed, banned)
            if not len(kept):
                return ids, scores
            few = len(kept) <= BRUTE_FORCE_ITEMS or len(kept) < BRUTE_FORCE_SHARE * len(self)
            if few:  # and for HNSW: a graph walk confined to few items strands before finding k
                found_scores, slots = self._brute_force(q, kept, k)
            else:
                found_scores, slots = self._faiss_search(q, k, self._only(kept))
        elif len(banned) >= len(self):
            return ids, scores
        elif not self.tombstones and len(banned) <= OVER_FETCH:
            found_scores, slots = self._over_fetch(q, k, banned)
        else:
            found_scores, slots = self._faiss_search(q, k, self._live_except(banned))
        ok = slots >= 0
        width = slots.shape[1]
        ids[:, :width][ok] = self._items[slots[ok]]
        scores[:, :width][ok] = found_scores[ok]
        return ids, scores

    def _allowed_slots(self, allowed: np.ndarray, banned: np.ndarray) -> np.ndarray:
        mask = np.asarray(allowed, dtype=bool)
        if mask.ndim != 1:
            raise CatalogIndexError("allowed must be a 1-D boolean mask by item id")
        slots = self._by_id.find(np.flatnonzero(mask))
        slots = slots[slots >= 0]
        return slots[~np.isin(slots, banned)] if len(banned) else slots

    def _only(self, slots: np.ndarray) -> np.ndarray:
        """A faiss bitmap over slots with just these set (many: searches of few items score them here)."""
        chosen = np.zeros(self._n, dtype=bool)
        chosen[slots] = True
        return np.packbits(chosen, bitorder="little")

    def _live_except(self, slots: np.ndarray) -> np.ndarray:
        """A faiss bitmap of the live slots but these."""
        if self._alive_bits is None:
            self._alive_bits = np.packbits(self.slot_alive, bitorder="little")
        if not len(slots):
            return self._alive_bits
        out = self._alive_bits.copy()
        np.bitwise_and.at(out, slots >> 3, ~(1 << (slots & 7)).astype(np.uint8))
        return out

    def _faiss_search(
        self, q: np.ndarray, k: int, bitmap: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        kk = min(k, int(self._index.ntotal))
        if not kk:
            return np.zeros((len(q), 0), dtype=np.float32), np.zeros((len(q), 0), dtype=np.int64)
        if self.kind == HNSW:
            # the stubs faiss ships lack the HNSW search parameters, which faiss >= 1.7.3 has
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, 2 * kk))  # type: ignore[attr-defined]
        else:
            params = faiss.SearchParameters()
        selector = None if bitmap is None else faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        if selector is not None:
            params.sel = selector  # a raw pointer: `selector` and `bitmap` live until the search ends
        found_scores, slots = self._index.search(q, kk, params=params)
        return found_scores, slots

    def _over_fetch(self, q: np.ndarray, k: int, banned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A plain search for k past the banned slots, which are then dropped (cheaper than a filter)."""
        found_scores, slots = self._faiss_search(q, k + len(banned), None)
        if not len(banned):
            return found_scores, slots
        drop = np.isin(slots, banned) | (slots < 0)
        order = np.argsort(drop, axis=1, kind="stable")[:, :k]
        slots = np.take_along_axis(slots, order, axis=1)
        found_scores = np.take_along_axis(found_scores, order, axis=1)
        short = np.take_along_axis(drop, order, axis=1)  # rows with fewer than k left
        slots[short], found_scores[short] = -1, -np.inf
        return found_scores, slots

    def _brute_force(self, q: np.ndarray, slots: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among the given slots: (scores, slots), best first."""
        scores = q @ self._stored[slots].T
        kk = min(k, len(slots))
        top = (
            np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
            if kk < len(slots)
            else np.tile(np.arange(kk), (len(q), 1))
        )
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(top, order, axis=1)
        return np.take_along_axis(scores, best, axis=1), slots[best]

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
            raw: Any = faiss.read_index(str(folder / "index.faiss"))
            items = np.load(folder / "slot_items.npy", allow_pickle=False).astype(np.int64)
            alive = np.load(folder / "slot_alive.npy", allow_pickle=False).astype(bool)
            inner: Any = faiss.downcast_index(raw.index)
            held = faiss.vector_to_array(raw.id_map).astype(np.int64)  # the slot of each stored vector
            stored = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else None
        except (OSError, KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            raise CatalogIndexError(f"{folder}: cannot load the catalogue index: {exc}") from exc
        live = np.flatnonzero(alive)
        if (
            raw.d != index.dimensions
            or manifest["kind"] not in (EXACT, HNSW)
            or items.ndim != 1
            or len(items) != len(alive)
            or (len(held) and (held.min() < 0 or held.max() >= len(items)))
            or len(np.unique(held)) != len(held)
            or not np.isin(live, held).all()
            or len(np.unique(items[live])) != len(live)
        ):
            raise CatalogIndexError(f"{folder}: index and arrays disagree on dimensions, size or slots")
        index._reset(manifest["kind"])
        index._index = raw
        index._n, index._items, index._alive = len(items), items, alive
        index._stored = np.zeros((len(items), index.dimensions), dtype=np.float32)
        if stored is not None:
            index._stored[held] = stored
        index._by_id.insert(items[live], live.astype(np.int64))
        index.data_window = manifest.get("data_window", {})
        index.metrics = manifest.get("metrics", {})
        if index.kind == HNSW:
            inner.hnsw.efSearch = index.ef_search
        return index
