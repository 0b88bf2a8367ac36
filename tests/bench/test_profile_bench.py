"""bench/profile_latency.py runs end to end on a small file: it exits 0, says where the HTTP time goes,
and the server it starts stops on SIGTERM with exit 0 (it used to abort: exit 134, "terminate called")."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from tests.bench.runner import run_bench
from tests.server.importer.conftest import HEADER

WORDS = ["RED", "BLUE", "HEART", "CANDLE", "MUG", "LANTERN", "TIN", "BAG", "VASE", "FRAME"]


def small_file(path: Path) -> Path:
    """40 products sold to 6 customers in two countries through 2011 (the bench needs two stores)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for invoice in range(60):
            customer = 12000 + invoice % 6
            country = "United Kingdom" if customer % 2 else "France"
            when = f"2011-{1 + invoice % 11:02d}-{1 + invoice % 27:02d} 10:{invoice % 60:02d}:00"
            for line in range(4):
                n = (invoice * 7 + line * 3) % 40
                name = f"{WORDS[n % 10]} {WORDS[n // 10 + 4]} NO {n}"
                out.writerow(
                    [f"5{invoice:05d}", f"2{n:04d}", name, 1 + line, when, "2.50", customer, country]
                )
    return path


def test_the_profile_bench_ends_cleanly_and_says_where_the_time_goes(tmp_path: Path) -> None:
    data = small_file(tmp_path / "small.csv")
    # HOME: the embeddings the bench caches go to this test's folder, not the user's.
    env = {**os.environ, "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    args = ["--data", str(data), "--members", "50", "--runs", "40"]
    figures, stderr = run_bench("profile_latency", args, timeout=900, env=env)
    assert "terminate called" not in stderr
    assert "where it goes" in stderr
    assert figures["server_exit"] == 0
    assert figures["member_lines"] == 500
    breakdown = {"app_p99", "gc_max", "transport_client_p99", "service_p99"} - set(figures["where_ms"])
    assert not breakdown, f"the breakdown lacks {breakdown}"
