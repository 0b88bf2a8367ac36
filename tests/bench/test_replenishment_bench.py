"""bench/replenishment.py runs on a small synthetic file and finds the regular rebuyers' rhythm."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from tests.bench.runner import run_bench

FIRST = date(2025, 1, 1)


def write_sales(path: Path) -> Path:
    """Thirty members who rebuy one product every three weeks, plus one-off purchases of others."""
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["user", "basket", "date", "item"])
        for member in range(30):
            for day in range(rng.randrange(21), 300, 21):
                on = (FIRST + timedelta(days=day)).isoformat()
                out.writerow([f"m{member}", f"b{member}-{day}", on, f"tea{member % 3}"])
                out.writerow([f"m{member}", f"b{member}-{day}", on, f"gift{rng.randrange(500)}"])
    return path


def test_the_bench_reminds_regular_rebuyers_on_time(tmp_path: Path) -> None:
    args = [str(write_sales(tmp_path / "sales.csv")), "--test-days", "60", "--valid-days", "60"]
    figures, _ = run_bench("replenishment", args, timeout=120)
    assert figures["reminders"] > 30 and figures["repurchases"] > 30
    assert figures["followed_within_7d"] >= 0.8 and figures["reminded_share"] >= 0.8
    assert 0 <= figures["baseline_followed_within_7d"] <= 1 and 0 <= figures["baseline_reminded_share"] <= 1
    assert set(figures["params"]) >= {"prior_strength", "lead_days", "grace_days", "merge_days"}
