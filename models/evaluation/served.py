"""Train a version the way the server will serve it, and measure it the way the server ranks.

`train_version` holds back each test member's last visit (the next-basket protocol, `models.protocol`),
fits Aisle's model on the rest, and scores the held-back visits through `ServedModel.rank` — the
server's own code path, business filters included — beside baselines fitted on the same split. The same
parameters are then fitted on all the data, and that model is saved as the version with those figures
in its manifest. Nothing here reads the test members' targets to choose anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.aisle import AisleRecommender
from models.data import Transactions
from models.dataset import Baskets, Dataset
from models.encoder import Encoder
from models.metrics import next_basket_report
from models.protocol import ProtocolError, Split, _dated_baskets, split_next_basket
from models.registry import create
from models.serving.served import ServedModel, members_of
from models.versions import data_window, save_version

Progress = Callable[[str, float], None]
BASELINES = ("tifu-knn",)
LIST_LENGTH = 20  # the metrics read @10 and @20
BATCH = 256


def dataset_of(tx: Transactions) -> Dataset:
    """Every member's dated baskets over every item: what a served model learns from (no protocol
    filtering: the server must know every member and product)."""
    indptr, basket_user, days, items = _dated_baskets(tx)
    per_user = np.bincount(basket_user, minlength=len(tx.user_ids))
    baskets = Baskets(
        user_indptr=np.concatenate([[0], np.cumsum(per_user)]).astype(np.int64),
        basket_indptr=indptr.astype(np.int64),
        items=items.astype(np.int32),
        days=days.astype(np.int32),
    )
    return Dataset(baskets, tx.user_ids, tx.item_ids, tx.item_texts)


def allowed_mask(item_ids: np.ndarray, allowed_ids: Sequence[str] | None) -> np.ndarray | None:
    """Which items the business filters let through (None: all)."""
    if allowed_ids is None:
        return None
    return np.isin(np.asarray(item_ids, dtype=str), np.asarray(list(allowed_ids), dtype=str))


def _lists(ranked: list[Any]) -> np.ndarray:
    out = np.full((len(ranked), LIST_LENGTH), -1, dtype=np.int64)
    for row, r in enumerate(ranked):
        out[row, : len(r.items)] = r.items[:LIST_LENGTH]
    return out


def evaluate_served(served: ServedModel, split: Split, allowed: np.ndarray | None = None) -> dict[str, float]:
    """The next-basket metrics of the split's test members as the server would rank them: their
    history baskets folded in, on the day of the visit being predicted, business filters applied.
    `served` must have been fitted on `split.dataset`."""
    users = np.asarray(split.test_users, dtype=np.int64)
    target_days = getattr(split, "target_days", None)
    recommended, explore_only = [], []
    for start in range(0, len(users), BATCH):
        chunk = users[start : start + BATCH]
        baskets = members_of(split.dataset.baskets, chunk)
        days = None if target_days is None else np.asarray(target_days)[start : start + BATCH]
        recommended.append(_lists(served.rank(baskets, chunk, LIST_LENGTH, days=days, allowed=allowed)))
        explore_only.append(
            _lists(served.rank(baskets, chunk, LIST_LENGTH, days=days, allowed=allowed, exclude_history=True))
        )
    return next_basket_report(
        np.concatenate(recommended), np.concatenate(explore_only), split.targets, split.test_histories()
    )


def evaluate_baseline(name: str, split: Split) -> dict[str, float]:
    """A registered evaluation-only method, fitted and scored on the same split."""
    model = create(name)
    model.fit(split.dataset)
    recommended = model.recommend(split.test_users, LIST_LENGTH)
    explore_only = model.recommend(split.test_users, LIST_LENGTH, exclude_history=True)
    return next_basket_report(recommended, explore_only, split.targets, split.test_histories())


def _rounded(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if np.isnan(v) else round(float(v), 6)) for k, v in metrics.items()}


def _within(step: Progress, label: str, start: float, end: float) -> Progress:
    """A fit's own progress (0..1) as a stretch of the whole training's bar."""
    return lambda stage, done: step(f"{label}: {stage}", start + (end - start) * done)


def train_version(
    tx: Transactions,
    root: str | Path,
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    source: str = "",
    allowed_ids: Sequence[str] | None = None,
    baselines: Sequence[str] = BASELINES,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    measure: bool = True,
) -> Path:
    """Fit, measure on a held-back split, refit on everything and save a version; returns its folder.

    `allowed_ids`: the item ids the business would let the server suggest (active products); the
    held-back figures are measured with that filter, as served. `measure=False` skips the held-back
    fit (a version nobody will compare: a hand-built recommender's own)."""
    step = progress or (lambda stage, done: None)
    params = dict(params or {})
    step("split", 0.0)
    measured: dict[str, dict[str, Any]] = {}
    try:
        if not measure:
            raise ProtocolError("not measured: asked to skip the held-back split")
        split = split_next_basket(tx, seed=seed)
    except ProtocolError as exc:  # too few members with three visits: nothing to hold back
        measured["split"] = {"seed": seed, "skipped": str(exc)}
    else:
        model = AisleRecommender(**params, encoder=encoder).fit(
            split.dataset, progress=_within(step, "held-back fit", 0.05, 0.4)
        )
        step("measure as served", 0.4)
        served = ServedModel("held-back", model)
        held_back = evaluate_served(served, split, allowed_mask(split.dataset.item_ids, allowed_ids))
        step("baselines", 0.43)
        measured["held_back"] = _rounded(held_back)
        measured["baselines"] = {name: _rounded(evaluate_baseline(name, split)) for name in baselines}
        measured["split"] = {
            "seed": seed,
            "train_members": len(split.train_users),
            "test_members": len(split.test_users),
        }
    full = dataset_of(tx)
    final = AisleRecommender(**params, encoder=encoder).fit(full, progress=_within(step, "fit", 0.45, 0.98))
    step("save", 0.98)
    folder = save_version(root, final, data_window(full, source), measured)
    step("done", 1.0)
    return folder
