"""Choose Aisle's design inside the training data: ``python -m models.quality --transactions PATH``.

The next-basket protocol splits members into train and test (as ``models.evaluate`` does); the test
members' targets are never read. A seeded share of the train members becomes validation members: their
last visit is held out, every method fits on everything else, and each validation member is scored on
that visit, on its own day. Prints recall@10 and explore-only recall@10 of each Aisle variant against
TIFU-KNN and ALS on the same visits, as one JSON object.

A larger validation set, to tell small gains from noise: ``--share`` sets the share of train members
that validate (default 0.25), ``--visits N`` (default 1) makes each validation member's last N visits N
validation points. Point k (k = 1 is the last visit) is scored by models fitted on the data without that
visit and every later one of the validation members (one fit of every method per k, so N visits cost N
fits); a member takes part in point k only with k + 2 visits or more, so at least two are left to fit
on. The metrics are pooled over all points (each visit counts once). Every method, baselines included,
is fitted and scored on exactly the same data and points.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.aisle import AisleRecommender
from models.data import load_transactions
from models.dataset import Dataset
from models.metrics import next_basket_report
from models.protocol import Split, split_next_basket
from models.recommender import JSONValue, Recommender
from models.registry import create

VALIDATION_SHARE = 0.25


Fold = tuple[Dataset, np.ndarray, list[np.ndarray], np.ndarray]


def validation_folds(split: Split, seed: int, share: float = VALIDATION_SHARE, visits: int = 1) -> list[Fold]:
    """For k = 1..visits: (dataset without the validation members' last k visits, the members with k + 2
    visits or more, the items of their k-th last visit, its day)."""
    if not 0 < share <= 1 or visits < 1:
        raise ValueError("share must be in (0, 1] and visits at least 1")
    data = split.dataset
    b = data.baskets
    rng = np.random.default_rng(seed + 1000)
    counts = np.diff(b.user_indptr)
    candidates = split.train_users[counts[split.train_users] >= 3]
    chosen = np.sort(rng.permutation(candidates)[: int(round(share * len(candidates)))])
    folds: list[Fold] = []
    for k in range(1, visits + 1):
        members = chosen[counts[chosen] >= k + 2]
        point = b.user_indptr[members + 1] - k
        keep = np.ones(b.n_baskets, dtype=bool)
        for back in range(1, k + 1):
            keep[b.user_indptr[members + 1] - back] = False
        fit_on = Dataset(b.select(keep), data.user_ids, data.item_ids, data.item_texts)
        targets = [b.items[b.basket_indptr[v] : b.basket_indptr[v + 1]] for v in point]
        folds.append((fit_on, members, targets, b.days[point].astype(np.int64)))
    return folds


def validation_split(split: Split, seed: int) -> Fold:
    """(dataset without the validation visits, validation members, their visits' items, their days)."""
    return validation_folds(split, seed)[0]


def score(
    model: Recommender, data: Dataset, members: np.ndarray, targets: list[np.ndarray], days: np.ndarray
) -> dict[str, float]:
    """Fit on `data` and report the members' next-basket metrics on their validation visits."""
    return score_folds(model, [(data, members, targets, days)])


def score_folds(model: Recommender, folds: Sequence[Fold]) -> dict[str, float]:
    """Fit on each fold's data in turn; the metrics pooled over every fold's validation visits."""
    lists: list[tuple[np.ndarray, np.ndarray]] = []
    targets: list[np.ndarray] = []
    histories: list[np.ndarray] = []
    for data, members, fold_targets, days in folds:
        model.fit(data)
        seen = data.user_items
        histories += [seen.indices[seen.indptr[u] : seen.indptr[u + 1]] for u in members]
        targets += fold_targets
        recommended = model.recommend(members, 20, days=days)
        lists.append((recommended, model.recommend(members, 20, exclude_history=True, days=days)))
    recommended, explore_only = (np.concatenate(part) for part in zip(*lists, strict=True))
    report = next_basket_report(recommended, explore_only, targets, histories)
    return {k: round(report[k], 4) for k in ("recall@10", "explore_only_recall@10")}


def run(
    transactions: Path,
    seed: int,
    variants: dict[str, dict[str, JSONValue]],
    share: float = VALIDATION_SHARE,
    visits: int = 1,
) -> dict[str, Any]:
    """Validation metrics of the baselines and each named Aisle variant (constructor parameters)."""
    split = split_next_basket(load_transactions(transactions), seed=seed)
    folds = validation_folds(split, seed, share, visits)
    out: dict[str, Any] = {
        "seed": seed,
        "validation_members": len(folds[0][1]),
        "validation_visits": sum(len(fold[1]) for fold in folds),
        "methods": {},
        "seconds": {},
    }
    models: dict[str, Recommender] = {"tifu-knn": create("tifu-knn"), "als": create("als")}
    models.update({f"aisle:{name}": AisleRecommender(**params) for name, params in variants.items()})  # type: ignore[arg-type]
    for name, model in models.items():
        started = time.perf_counter()
        out["methods"][name] = score_folds(model, folds)
        out["seconds"][name] = round(time.perf_counter() - started, 1)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0, help="seed of the protocol's test split")
    parser.add_argument(
        "--variants", default='{"default": {}}', help='JSON {"name": {constructor parameters}, ...}'
    )
    parser.add_argument(
        "--share", type=float, default=VALIDATION_SHARE, help="share of train members that validate"
    )
    parser.add_argument("--visits", type=int, default=1, help="last visits of each validation member scored")
    args = parser.parse_args(argv)
    result = run(args.transactions, args.seed, json.loads(args.variants), args.share, args.visits)
    print(json.dumps(result))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
