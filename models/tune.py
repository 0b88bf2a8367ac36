"""Tune Aisle's recommender and save the result as a new model version: ``python -m models.tune``.

The next-basket protocol splits members into train and test (as ``models.evaluate`` does). Validation
members are carved out of the train members only: their last visit is held out. Each trial fits on
everything else and is scored on those held-out visits; trial 0 is the default parameters and the rest
are drawn at random from `SEARCH_SPACE` (decays, neighbourhood size, regularisation of the item-item
models and of the learned blend). The best trial is fitted again on the whole training data, scored
once on the test members and written as a version folder (see `models.versions`). Test members never
take part in choosing.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.aisle import AisleRecommender
from models.data import DataFormatError, load_transactions, read_user_ids
from models.dataset import Dataset
from models.encoder import DEFAULT_CACHE, Encoder, EncoderError, TextEncoder
from models.evaluate import METRICS
from models.metrics import next_basket_report
from models.protocol import MIN_HISTORY_BASKETS, ProtocolError, Split, split_next_basket
from models.recommender import JSONValue, Recommender
from models.versions import data_window, save_version

# name: (kind, low, high) for "uniform" / "log"; (kind, choices) for "choice"
SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "group_size": ("choice", (3, 5, 7, 10)),
    "within_decay": ("uniform", 0.6, 1.0),
    "group_decay": ("uniform", 0.4, 1.0),
    "k_neighbors": ("choice", (50, 100, 300, 600)),
    "ease_l2": ("log", 10.0, 500.0),
    "next_visit_l2": ("log", 300.0, 20000.0),
    "taste_half_life_days": ("log", 14.0, 365.0),
    "candidates": ("choice", (100, 200, 400)),
    "ranker_l2": ("log", 5.0, 500.0),
}
COMBINED = "recall@10+explore_only_recall@10"
VALIDATION_SHARE = 0.25


class TuneError(ValueError):
    """The data leaves no validation members to tune on."""


@dataclass
class Trial:
    """One parameter set and how it did on the validation members."""

    params: dict[str, JSONValue]
    metrics: dict[str, float]
    objective: float
    seconds: float


@dataclass
class TuneResult:
    """Every trial, the best one, and the best parameters' test metrics after refitting."""

    trials: list[Trial]
    best: Trial
    validation_members: int
    test_metrics: dict[str, float] = field(default_factory=dict)


def validation_split(
    dataset: Dataset, members: np.ndarray, share: float = VALIDATION_SHARE, seed: int = 0
) -> tuple[Dataset, np.ndarray, list[np.ndarray]]:
    """`dataset` without the last visit of a seeded `share` of `members` (those with history to spare),
    those members, and their held-out visits."""
    b = dataset.baskets
    visits = np.diff(b.user_indptr)
    able = np.asarray(members)[visits[members] > MIN_HISTORY_BASKETS]
    n = min(len(able), max(1, int(round(share * len(able)))))
    if not len(able):
        raise TuneError(f"no training member has more than {MIN_HISTORY_BASKETS} visits to validate on")
    chosen = np.sort(np.random.default_rng(seed).permutation(able)[:n])
    last = b.user_indptr[chosen + 1] - 1
    keep = np.ones(b.n_baskets, dtype=bool)
    keep[last] = False
    targets = [b.items[b.basket_indptr[v] : b.basket_indptr[v + 1]] for v in last]
    return Dataset(b.select(keep), dataset.user_ids, dataset.item_ids, dataset.item_texts), chosen, targets


def sample_params(
    rng: np.random.Generator, space: dict[str, tuple[Any, ...]] = SEARCH_SPACE
) -> dict[str, JSONValue]:
    """One random draw from the search space."""
    out: dict[str, JSONValue] = {}
    for name, (kind, *spec) in space.items():
        if kind == "choice":
            out[name] = spec[0][int(rng.integers(len(spec[0])))]
        elif kind == "uniform":
            out[name] = round(float(rng.uniform(spec[0], spec[1])), 4)
        elif kind == "log":
            out[name] = float(f"{math.exp(rng.uniform(math.log(spec[0]), math.log(spec[1]))):.4g}")
        else:
            raise ValueError(f"unknown search kind {kind!r} for {name}")
    return out


def score_members(
    model: Recommender, dataset: Dataset, members: np.ndarray, targets: list[np.ndarray]
) -> dict[str, float]:
    """Fit on `dataset` and report the next-basket metrics of `members` against `targets`."""
    model.fit(dataset)
    seen = dataset.user_items
    histories = [seen.indices[seen.indptr[u] : seen.indptr[u + 1]] for u in members]
    recommended = model.recommend(members, 20)
    explore_only = model.recommend(members, 20, exclude_history=True)
    return next_basket_report(recommended, explore_only, targets, histories)


def make_aisle(params: dict[str, JSONValue], encoder: Encoder | None = None) -> AisleRecommender:
    """An unfitted AisleRecommender from JSON parameters, using `encoder` for product texts."""
    options: dict[str, Any] = dict(params)
    return AisleRecommender(**options, encoder=encoder)


def objective_of(metrics: dict[str, float], objective: str) -> float:
    """The number a trial is judged by (NaN counts as 0)."""
    names = objective.split("+")
    return float(sum(0.0 if math.isnan(metrics[n]) else metrics[n] for n in names))


def tune(
    split: Split,
    trials: int = 8,
    seed: int = 0,
    objective: str = COMBINED,
    fixed: dict[str, JSONValue] | None = None,
    encoder: Encoder | None = None,
) -> tuple[TuneResult, AisleRecommender]:
    """Search parameters on validation members; return the trials and the best model refitted on the
    split's training data and scored on its test members."""
    if trials < 1:
        raise ValueError("trials must be at least 1")
    fixed = dict(fixed or {})
    inner, members, targets = validation_split(split.dataset, split.train_users, seed=seed)
    rng = np.random.default_rng(seed)
    done: list[Trial] = []
    for number in range(trials):
        params = make_aisle({**(sample_params(rng) if number else {}), **fixed}).get_params()
        started = time.perf_counter()
        metrics = score_members(make_aisle(params, encoder), inner, members, targets)
        done.append(Trial(params, metrics, objective_of(metrics, objective), time.perf_counter() - started))
    best = max(done, key=lambda t: t.objective)  # the first of equals: the defaults win ties
    model = make_aisle(best.params, encoder)
    test = score_members(model, split.dataset, split.test_users, split.targets)
    return TuneResult(done, best, len(members), test), model


def _jsonable(metrics: dict[str, float]) -> dict[str, Any]:
    return {k: (None if math.isnan(v) else round(v, 6)) for k, v in metrics.items()}


def _print_trials(result: TuneResult, objective: str) -> None:
    """The trials as a table on stderr (stdout carries only the new version's folder)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Validation trials ({objective}); * = best, refitted and tested")
    for column in ("trial", "objective", "recall@10", "explore_only_recall@10", "seconds", "params"):
        table.add_column(column)
    defaults = result.trials[0].params
    for number, t in enumerate(result.trials):
        changed = ", ".join(f"{k}={v}" for k, v in t.params.items() if v != defaults[k]) or "defaults"
        table.add_row(
            f"{number}{'*' if t is result.best else ''}",
            f"{t.objective:.4f}",
            f"{t.metrics['recall@10']:.4f}",
            f"{t.metrics['explore_only_recall@10']:.4f}",
            f"{t.seconds:.1f}",
            changed,
        )
    Console(stderr=True, width=160).print(table)


def _tuning_record(result: TuneResult, objective: str, seed: int, test_members: int) -> dict[str, Any]:
    return {
        "objective": objective,
        "seed": seed,
        "validation_members": result.validation_members,
        "test_members": test_members,
        "trials": [
            {"params": t.params, "objective": round(t.objective, 6), "metrics": _jsonable(t.metrics)}
            for t in result.trials
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", required=True, type=Path, help="CSV or CSV.GZ of purchase lines")
    parser.add_argument("--out", required=True, type=Path, help="folder that receives the new version")
    parser.add_argument("--trials", type=int, default=8, help="parameter sets to try, defaults first (8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test split and the search (0)")
    parser.add_argument("--test-users", type=Path, help="file of test member ids, one per line")
    parser.add_argument("--objective", default=COMBINED, help=f"metric(s) joined by + ({COMBINED})")
    parser.add_argument("--no-text", action="store_true", help="leave product descriptions out")
    parser.add_argument("--text-model", default="", help="sentence-transformers folder (default: bundled)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="text embedding cache folder")
    args = parser.parse_args(argv)
    try:
        if args.trials < 1:
            raise TuneError("--trials must be at least 1")
        unknown = [name for name in args.objective.split("+") if name not in METRICS]
        if unknown:
            raise TuneError(
                f"unknown metric(s) in --objective: {', '.join(unknown)}; known: {', '.join(METRICS)}"
            )
        tx = load_transactions(args.transactions)
        listed = read_user_ids(args.test_users) if args.test_users else None
        split = split_next_basket(tx, listed, seed=args.seed)
        fixed: dict[str, JSONValue] = {"use_text": not args.no_text, "text_model": args.text_model}
        encoder = None if args.no_text else TextEncoder(args.text_model or None, cache_dir=args.cache_dir)
        result, model = tune(split, args.trials, args.seed, args.objective, fixed, encoder)
    except (DataFormatError, ProtocolError, TuneError, EncoderError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    _print_trials(result, args.objective)
    metrics = {"validation": _jsonable(result.best.metrics), "test": _jsonable(result.test_metrics)}
    tuning = _tuning_record(result, args.objective, args.seed, len(split.test_users))
    folder = save_version(
        args.out, model, data_window(split.dataset, str(args.transactions)), metrics, tuning
    )
    print(folder)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
