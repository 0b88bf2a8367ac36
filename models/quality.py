"""Choose Aisle's design inside the training data: ``python -m models.quality --transactions PATH``.

The next-basket protocol splits members into train and test (as ``models.evaluate`` does); the test
members' targets are never read. A seeded share of the train members becomes validation members: their
last visit is held out, every method fits on everything else, and each validation member is scored on
that visit, on its own day. Prints recall@10 and explore-only recall@10 of each Aisle variant against
TIFU-KNN and ALS on the same visits, as one JSON object.
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


def validation_split(split: Split, seed: int) -> tuple[Dataset, np.ndarray, list[np.ndarray], np.ndarray]:
    """(dataset without the validation visits, validation members, their visits' items, their days)."""
    data = split.dataset
    b = data.baskets
    rng = np.random.default_rng(seed + 1000)
    candidates = split.train_users[np.diff(b.user_indptr)[split.train_users] >= 3]
    members = np.sort(rng.permutation(candidates)[: int(round(VALIDATION_SHARE * len(candidates)))])
    last = b.user_indptr[members + 1] - 1
    keep = np.ones(b.n_baskets, dtype=bool)
    keep[last] = False
    fit_on = Dataset(b.select(keep), data.user_ids, data.item_ids, data.item_texts)
    targets = [b.items[b.basket_indptr[v] : b.basket_indptr[v + 1]] for v in last]
    return fit_on, members, targets, b.days[last].astype(np.int64)


def score(
    model: Recommender, data: Dataset, members: np.ndarray, targets: list[np.ndarray], days: np.ndarray
) -> dict[str, float]:
    """Fit on `data` and report the members' next-basket metrics on their validation visits."""
    model.fit(data)
    seen = data.user_items
    histories = [seen.indices[seen.indptr[u] : seen.indptr[u + 1]] for u in members]
    recommended = model.recommend(members, 20, days=days)
    explore_only = model.recommend(members, 20, exclude_history=True, days=days)
    report = next_basket_report(recommended, explore_only, targets, histories)
    return {k: round(report[k], 4) for k in ("recall@10", "explore_only_recall@10")}


def run(transactions: Path, seed: int, variants: dict[str, dict[str, JSONValue]]) -> dict[str, Any]:
    """Validation metrics of the baselines and each named Aisle variant (constructor parameters)."""
    split = split_next_basket(load_transactions(transactions), seed=seed)
    data, members, targets, days = validation_split(split, seed)
    out: dict[str, Any] = {"seed": seed, "validation_members": len(members), "methods": {}, "seconds": {}}
    models: dict[str, Recommender] = {"tifu-knn": create("tifu-knn"), "als": create("als")}
    models.update({f"aisle:{name}": AisleRecommender(**params) for name, params in variants.items()})  # type: ignore[arg-type]
    for name, model in models.items():
        started = time.perf_counter()
        out["methods"][name] = score(model, data, members, targets, days)
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
    args = parser.parse_args(argv)
    print(json.dumps(run(args.transactions, args.seed, json.loads(args.variants))))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
