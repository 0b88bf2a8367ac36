"""Store-wide purchase patterns: which items share baskets (`CoPurchase`) and how often items are rebought
(`RepurchaseCycles`). Both are built from purchase lines as arrays and saved as .npy + manifest.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

FORMAT_VERSION = 1


def _save(folder: Path, kind: str, arrays: dict[str, np.ndarray], params: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, value in arrays.items():
        np.save(folder / f"{key}.npy", value, allow_pickle=False)
    manifest = {
        "format": f"aisle.{kind}",
        "format_version": FORMAT_VERSION,
        "arrays": sorted(arrays),
        **params,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _load(folder: Path, kind: str) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder}: no readable manifest.json ({exc})") from exc
    if manifest.get("format") != f"aisle.{kind}" or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder}: not an aisle.{kind} v{FORMAT_VERSION} folder")
    arrays = {key: np.load(folder / f"{key}.npy", allow_pickle=False) for key in manifest["arrays"]}
    return manifest, arrays


@dataclass(frozen=True)
class CoPurchase:
    """Same-basket counts between items: ``partners[i, j]`` is the number of baskets holding both,
    kept for each item's `max_partners` strongest partners; ``baskets[i]`` counts baskets holding i."""

    item_ids: np.ndarray  # sorted int64 item ids, the matrix order
    baskets: np.ndarray  # int64, baskets holding each item
    partners: sp.csr_matrix  # float32 counts, no diagonal

    @classmethod
    def from_lines(
        cls, basket_keys: np.ndarray, item_ids: np.ndarray, max_partners: int = 100, min_count: int = 2
    ) -> CoPurchase:
        """Build from purchase lines: the basket each line belongs to (any integer key) and its item id."""
        keys, items = np.asarray(basket_keys), np.asarray(item_ids, dtype=np.int64)
        if keys.shape != items.shape:
            raise ValueError(f"{len(keys)} basket keys for {len(items)} item ids")
        ids, item_col = np.unique(items, return_inverse=True)
        _, basket_row = np.unique(keys, return_inverse=True)
        n_baskets = int(basket_row.max()) + 1 if len(basket_row) else 0
        b = sp.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (basket_row, item_col)), shape=(n_baskets, len(ids))
        )
        b.sum_duplicates()
        b.data[:] = 1.0  # an item on several lines of one basket counts once
        counts = (b.T @ b).tocsr()
        per_item = counts.diagonal().astype(np.int64)
        counts.setdiag(0)
        counts.data[counts.data < min_count] = 0
        counts.eliminate_zeros()
        return cls(ids, per_item, _top_per_row(counts, max_partners))

    @classmethod
    def from_baskets(
        cls, baskets: list[list[int]], max_partners: int = 100, min_count: int = 2
    ) -> CoPurchase:
        """Build from a list of baskets, each a list of item ids."""
        keys = np.repeat(np.arange(len(baskets)), [len(b) for b in baskets])
        items = np.array([i for b in baskets for i in b], dtype=np.int64)
        return cls.from_lines(keys, items, max_partners, min_count)

    def scores(self, item_ids: np.ndarray, weights: np.ndarray) -> PartnerScores:
        """Cosine-normalised partner strength of every item, summed over the weighted given items."""
        n = len(self.item_ids)
        ids = np.asarray(item_ids, dtype=np.int64)
        if n == 0 or len(ids) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return PartnerScores(np.zeros(n), empty, empty, np.zeros(0))
        pos = np.minimum(np.searchsorted(self.item_ids, ids), n - 1)
        known = np.flatnonzero(self.item_ids[pos] == ids)
        sub = self.partners[pos[known]].tocoo()
        source = known[sub.row]
        strength = sub.data / np.sqrt(self.baskets[pos[source]] * self.baskets[sub.col])
        contribution = np.asarray(weights, dtype=np.float64)[source] * strength
        total = np.bincount(sub.col, weights=contribution, minlength=n)
        return PartnerScores(total, sub.col.astype(np.int64), source, contribution)

    def save(self, folder: str | Path) -> Path:
        """Write the counts as .npy arrays plus manifest.json."""
        p = self.partners
        arrays = {"item_ids": self.item_ids, "baskets": self.baskets, "data": p.data, "indices": p.indices}
        arrays["indptr"] = p.indptr
        return _save(Path(folder), "copurchase", arrays, {"n_items": len(self.item_ids)})

    @classmethod
    def load(cls, folder: str | Path) -> CoPurchase:
        """Read a folder written by `save` (no pickles)."""
        _, a = _load(Path(folder), "copurchase")
        n = len(a["item_ids"])
        partners = sp.csr_matrix((a["data"], a["indices"], a["indptr"]), shape=(n, n))
        return cls(a["item_ids"], a["baskets"], partners)


@dataclass(frozen=True)
class PartnerScores:
    """Summed partner strength per item (`total`, in CoPurchase.item_ids order) and its contributions."""

    total: np.ndarray
    col: np.ndarray  # item (matrix column) each contribution goes to
    source: np.ndarray  # position, in the given item ids, of the item it comes from
    contribution: np.ndarray

    def strongest(self, cols: np.ndarray) -> np.ndarray:
        """For each column, the position of the given item contributing most (ties: earlier; -1: none)."""
        pick = np.isin(self.col, cols)
        col, source, value = self.col[pick], self.source[pick], self.contribution[pick]
        order = np.lexsort((source, -value, col))
        first = np.ones(len(order), dtype=bool)
        first[1:] = col[order][1:] != col[order][:-1]
        best = dict(zip(col[order][first].tolist(), source[order][first].tolist(), strict=True))
        return np.array([best.get(int(c), -1) for c in cols], dtype=np.int64)


def _top_per_row(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Only the n largest entries of each row (ties: lower column first)."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((m.indices, -m.data, rows))
    rank = np.arange(len(order)) - m.indptr[rows[order]]
    keep = order[rank < n]
    pruned = sp.csr_matrix((m.data[keep].astype(np.float32), (rows[keep], m.indices[keep])), shape=m.shape)
    pruned.sort_indices()
    return pruned


@dataclass(frozen=True)
class RepurchaseCycles:
    """Per item, the median days between one member's consecutive purchases of it, over all members."""

    item_ids: np.ndarray  # sorted int64
    median_days: np.ndarray  # float64
    observations: np.ndarray  # int64, intervals seen
    min_observations: int = 3

    @classmethod
    def from_lines(
        cls, member_keys: np.ndarray, item_ids: np.ndarray, days: np.ndarray, min_observations: int = 3
    ) -> RepurchaseCycles:
        """Build from purchase lines: member key, item id and day ordinal of each line."""
        m = np.asarray(member_keys)
        i = np.asarray(item_ids, dtype=np.int64)
        d = np.asarray(days, dtype=np.int64)
        if not (m.shape == i.shape == d.shape):
            raise ValueError("member keys, item ids and days must have the same length")
        _, m = np.unique(m, return_inverse=True)
        order = np.lexsort((d, i, m))
        m, i, d = m[order], i[order], d[order]
        same = (m[1:] == m[:-1]) & (i[1:] == i[:-1])
        gap = d[1:] - d[:-1]
        keep = same & (gap > 0)  # two lines on one day are one purchase
        gap_items, gaps = i[1:][keep], gap[keep]
        order = np.lexsort((gaps, gap_items))
        gap_items, gaps = gap_items[order], gaps[order]
        ids, start, count = np.unique(gap_items, return_index=True, return_counts=True)
        lo = start + (count - 1) // 2
        hi = start + count // 2
        medians = (gaps[lo] + gaps[hi]) / 2.0 if len(ids) else np.zeros(0)
        return cls(ids, medians.astype(np.float64), count.astype(np.int64), min_observations)

    def cycle(self, item_id: int) -> float | None:
        """The typical days between repurchases of an item, None when too few members rebought it."""
        found = float(self.cycles(np.array([item_id]))[0])
        return None if np.isnan(found) else found

    def cycles(self, item_ids: np.ndarray) -> np.ndarray:
        """The typical cycle of each item id, nan where too few members rebought it."""
        ids = np.asarray(item_ids, dtype=np.int64)
        out = np.full(len(ids), np.nan)
        if len(self.item_ids) == 0:
            return out
        pos = np.clip(np.searchsorted(self.item_ids, ids), 0, len(self.item_ids) - 1)
        ok = (self.item_ids[pos] == ids) & (self.observations[pos] >= self.min_observations)
        out[ok] = self.median_days[pos[ok]]
        return out

    def save(self, folder: str | Path) -> Path:
        """Write the cycles as .npy arrays plus manifest.json."""
        arrays = {
            "item_ids": self.item_ids,
            "median_days": self.median_days,
            "observations": self.observations,
        }
        return _save(Path(folder), "repurchase_cycles", arrays, {"min_observations": self.min_observations})

    @classmethod
    def load(cls, folder: str | Path) -> RepurchaseCycles:
        """Read a folder written by `save` (no pickles)."""
        manifest, a = _load(Path(folder), "repurchase_cycles")
        minimum = manifest.get("min_observations", 3)
        return cls(
            a["item_ids"],
            a["median_days"],
            a["observations"],
            int(minimum) if isinstance(minimum, int) else 3,
        )
