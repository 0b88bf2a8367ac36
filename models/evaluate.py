"""Evaluate recommenders with the next-basket protocol: ``python -m models.evaluate --transactions PATH``.

Prints every method side by side (or one JSON object with ``--json``). ``served`` is Aisle's model as the
server serves it: fitted on the split's training data and ranked through `models.serving` (each member's
baskets folded in, the visit day, the business filters of ``--catalogue``: the item ids the chain would
offer, one per line). For speed with ALS, run with ``OPENBLAS_NUM_THREADS=1`` in the environment.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.data import DataFormatError, LoadReport, load_transactions, read_user_ids
from models.metrics import next_basket_report
from models.protocol import ProtocolError, Split, split_next_basket
from models.recommender import Recommender
from models.registry import UnknownMethodError, create, method_names

METRICS = (
    "recall@10",
    "ndcg@10",
    "phr@10",
    "recall@20",
    "ndcg@20",
    "phr@20",
    "repeat_share@10",
    "repeat_recall@10",
    "explore_recall@10",
    "explore_only_recall@10",
    "explore_only_recall@20",
)
SHOWN_LINES = 10  # line numbers listed per data-quality fault
SERVED = "served"  # Aisle's model through the server's own ranking path


def known_methods() -> list[str]:
    """Every method name `run_evaluation` accepts: the registered ones and the served configuration."""
    return [*method_names(), SERVED]


def default_methods() -> list[str]:
    """The baselines and the served configuration (the `aisle` model by itself on request)."""
    return [SERVED if name == "aisle" else name for name in method_names()]


def evaluate_served(split: Split, catalogue: Sequence[str] | None = None) -> dict[str, float]:
    """Fit Aisle's model on the split's dataset and score the test users as the server ranks them."""
    from models.aisle import AisleRecommender
    from models.evaluation.served import allowed_mask
    from models.evaluation.served import evaluate_served as served_metrics
    from models.serving.served import ServedModel

    model = AisleRecommender().fit(split.dataset)
    return served_metrics(ServedModel(SERVED, model), split, allowed_mask(split.dataset.item_ids, catalogue))


def evaluate_recommender(recommender: Recommender, split: Split) -> dict[str, float]:
    """Fit on the split's dataset and score the test users' next baskets."""
    recommender.fit(split.dataset)
    days = split.target_days  # the visit day; time-blind methods ignore it
    recommended = recommender.recommend(split.test_users, 20, days=days)
    explore_only = recommender.recommend(split.test_users, 20, exclude_history=True, days=days)
    return next_basket_report(recommended, explore_only, split.targets, split.test_histories())


@dataclass
class Evaluation:
    """The outcome of one run: user counts, each method's metrics and its fit+score seconds."""

    split: Split
    report: LoadReport
    methods: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The JSON document printed by ``--json`` (NaN becomes null)."""
        s = self.split
        return {
            "users": {"train": len(s.train_users), "test": len(s.test_users)},
            "methods": {
                name: {key: (None if math.isnan(v) else round(v, 6)) for key, v in metrics.items()}
                for name, metrics in self.methods.items()
            },
            "dataset": {
                "credit": self.report.credit,
                "lines": self.report.lines,
                "skipped": dict(self.report.skipped),
                "issues": {reason: lines for reason, lines in self.report.issues.items()},
                "items": s.summary.items,
                "baskets": s.summary.baskets,
                "unknown_test_users": list(s.unknown_test_ids),
                "excluded_test_users": list(s.excluded_test_ids),
            },
            "seconds": {name: round(v, 2) for name, v in self.seconds.items()},
        }


def run_evaluation(
    transactions: str | Path,
    methods: Sequence[str],
    test_users: str | Path | None = None,
    seed: int = 0,
    catalogue: Sequence[str] | None = None,
) -> Evaluation:
    """Load the file, apply the protocol and evaluate each named method (`catalogue`: the item ids the
    served configuration may offer; None: all)."""
    unknown = [m for m in methods if m not in known_methods()]
    if unknown:
        raise UnknownMethodError(
            f"unknown method(s) {', '.join(unknown)}; known: {', '.join(known_methods())}"
        )
    tx = load_transactions(transactions)
    listed = read_user_ids(test_users) if test_users is not None else None
    split = split_next_basket(tx, listed, seed=seed)
    result = Evaluation(split=split, report=tx.report)
    for name in methods:
        started = time.perf_counter()
        if name == SERVED:
            result.methods[name] = evaluate_served(split, catalogue)
        else:
            result.methods[name] = evaluate_recommender(create(name), split)
        result.seconds[name] = time.perf_counter() - started
    return result


def _print_table(result: Evaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a pipe or file: do not squeeze the table into 80 columns
        console = Console(width=160)
    s, r = result.split, result.report
    skipped = ", ".join(f"{count} {reason}" for reason, count in r.skipped.items())
    table = Table(title="Next-basket evaluation (last basket of each test member)")
    table.add_column("metric")
    for name in result.methods:
        table.add_column(name, justify="right")
    for key in METRICS:
        values = [result.methods[name][key] for name in result.methods]
        finite = [v for v in values if not math.isnan(v)]
        top = max(finite) if finite else math.nan
        cells = ["–" if math.isnan(v) else (f"[bold]{v:.4f}[/]" if v == top else f"{v:.4f}") for v in values]
        table.add_row(key, *cells)
    table.add_row("seconds", *(f"{result.seconds[name]:.1f}" for name in result.methods))
    console.print(table)
    console.print(
        f"users: {len(s.train_users)} train, {len(s.test_users)} test; {s.summary.items} items, "
        f"{s.summary.baskets} baskets; {s.summary.members_out_of_range} members outside "
        f"3..50 baskets, {s.summary.rare_items} rare items and {s.summary.members_emptied} emptied members "
        f"dropped; {r.lines} lines read ({skipped or 'none skipped'})"
    )
    for reason, lines in r.issues.items():
        shown = ", ".join(map(str, lines[:SHOWN_LINES])) + (" ..." if len(lines) > SHOWN_LINES else "")
        label = "line" if len(lines) == 1 else "lines"
        console.print(f"[yellow]skipped {len(lines)} {label} with {reason}:[/] {label} {shown}")
    if s.unknown_test_ids:
        console.print(
            f"[yellow]{len(s.unknown_test_ids)} listed test member(s) not in the file:[/] "
            + ", ".join(s.unknown_test_ids[:SHOWN_LINES])
        )
    if s.excluded_test_ids:
        console.print(
            f"[yellow]{len(s.excluded_test_ids)} listed test member(s) filtered out by the "
            "protocol:[/] " + ", ".join(s.excluded_test_ids[:SHOWN_LINES])
        )
    if r.credit:
        console.print(f"Data: {r.credit}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", required=True, type=Path, help="CSV or CSV.GZ of purchase lines")
    parser.add_argument("--test-users", type=Path, help="file of test member ids, one per line")
    parser.add_argument("--seed", type=int, default=0, help="seed of the 20%% test split (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--methods",
        default=",".join(default_methods()),
        help=f"comma-separated, of: {', '.join(known_methods())} (default: all but aisle)",
    )
    parser.add_argument(
        "--catalogue",
        type=Path,
        help="item ids the served configuration may offer, one per line (all if absent)",
    )
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        catalogue = read_user_ids(args.catalogue) if args.catalogue is not None else None
        result = run_evaluation(args.transactions, methods, args.test_users, args.seed, catalogue)
    except (DataFormatError, ProtocolError, UnknownMethodError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    if args.json:
        print(json.dumps(result.as_json()))  # noqa: T201
    else:
        _print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
