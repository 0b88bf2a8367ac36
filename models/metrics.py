"""Next-basket metrics over recommendation lists padded with -1, averaged over users.

Each function takes ``recommended`` (n_users, >=k) int item indices, best first, -1 for "nothing more"
and ``truth`` (one item array per user). Users whose truth is empty are left out of the average; the
result is NaN when no user is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Items = Sequence[np.ndarray]


def _membership(recommended: np.ndarray, sets: Items) -> np.ndarray:
    """Boolean (n_users, width): whether each recommended item is in that user's set."""
    rec = np.asarray(recommended)
    if rec.ndim != 2 or len(sets) != rec.shape[0]:
        raise ValueError(f"recommended must be (n_users, k) with one set per user; got {rec.shape}")
    if rec.size == 0:
        return np.zeros(rec.shape, dtype=bool)
    ranked = np.sort(rec, axis=1)
    if ((ranked[:, 1:] == ranked[:, :-1]) & (ranked[:, 1:] >= 0)).any():
        raise ValueError("a recommendation list repeats an item")
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if sizes.sum() else np.zeros(0, int)
    width = int(max(rec.max(initial=0), flat.max(initial=0))) + 1
    keys = np.repeat(np.arange(len(sets), dtype=np.int64), sizes) * width + flat
    rec_keys = np.arange(rec.shape[0], dtype=np.int64)[:, None] * width + rec
    return np.isin(rec_keys, keys) & (rec >= 0)


def _sizes(sets: Items) -> np.ndarray:
    return np.fromiter((len(np.unique(s)) for s in sets), dtype=np.float64, count=len(sets))


def _mean(values: np.ndarray, include: np.ndarray) -> float:
    return float(values[include].mean()) if include.any() else float("nan")


def recall_at_k(recommended: np.ndarray, truth: Items, k: int) -> float:
    """Mean over users of (truth items in the top k) / |truth|."""
    hits = _membership(recommended[:, :k], truth).sum(axis=1)
    sizes = _sizes(truth)
    return _mean(hits / np.maximum(sizes, 1), sizes > 0)


def ndcg_at_k(recommended: np.ndarray, truth: Items, k: int) -> float:
    """Mean NDCG@k with binary gains; the ideal list holds min(k, |truth|) truth items."""
    hits = _membership(recommended[:, :k], truth)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts[: hits.shape[1]]).sum(axis=1)
    sizes = _sizes(truth)
    ideal = np.cumsum(discounts)[np.clip(np.minimum(sizes, k).astype(int) - 1, 0, k - 1)]
    return _mean(dcg / ideal, sizes > 0)


def phr_at_k(recommended: np.ndarray, truth: Items, k: int) -> float:
    """Personal hit ratio: the share of users with at least one truth item in the top k."""
    hit = np.asarray(_membership(recommended[:, :k], truth).any(axis=1), dtype=np.float64)
    return _mean(hit, _sizes(truth) > 0)


def repeat_share_at_k(recommended: np.ndarray, history: Items, k: int) -> float:
    """Mean over users of the share of their top-k recommendations they had bought before.

    Users who got no recommendation at all are left out."""
    top = recommended[:, :k]
    shown = (top >= 0).sum(axis=1)
    repeats = _membership(top, history).sum(axis=1)
    return _mean(repeats / np.maximum(shown, 1), shown > 0)


def split_truth(truth: Items, history: Items) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each user's truth split into repeat items (bought before) and explore items (new to the user)."""
    repeat, explore = [], []
    for t, h in zip(truth, history, strict=True):
        seen = np.isin(t, h)
        repeat.append(np.asarray(t)[seen])
        explore.append(np.asarray(t)[~seen])
    return repeat, explore


def next_basket_report(
    recommended: np.ndarray, explore_only: np.ndarray, truth: Items, history: Items
) -> dict[str, float]:
    """Every reported metric: `recommended` ranks all items, `explore_only` only never-bought ones."""
    repeat, explore = split_truth(truth, history)
    report: dict[str, float] = {}
    for k in (10, 20):
        report[f"recall@{k}"] = recall_at_k(recommended, truth, k)
        report[f"ndcg@{k}"] = ndcg_at_k(recommended, truth, k)
        report[f"phr@{k}"] = phr_at_k(recommended, truth, k)
    report["repeat_share@10"] = repeat_share_at_k(recommended, history, 10)
    report["repeat_recall@10"] = recall_at_k(recommended, repeat, 10)
    report["explore_recall@10"] = recall_at_k(recommended, explore, 10)
    report["explore_only_recall@10"] = recall_at_k(explore_only, explore, 10)
    report["explore_only_recall@20"] = recall_at_k(explore_only, explore, 20)
    return report
