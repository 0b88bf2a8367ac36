"""bench/integrity.py runs end to end on a small chain and finds nothing wrong (its figures are all 0)."""

from __future__ import annotations

import pytest

from tests.bench.runner import run_bench
from tests.conftest import PG_URL

MUST_BE_ZERO = (
    "overdrafts",
    "quota_overruns",
    "over_refunds",
    "sales_without_points",
    "duplicate_effects",
    "lost_acknowledged_writes",
    "server_errors",
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_integrity_bench_counts_nothing_wrong(backend: str) -> None:
    if backend == "postgres" and not PG_URL:
        pytest.skip("AISLE_TEST_POSTGRES_URL is not set")
    args = ["--members", "2", "--sales", "60", "--clients", "20"]
    args += ["--url", PG_URL] if backend == "postgres" else []
    figures, _ = run_bench("integrity", args)
    assert figures["requests"] > 300 and figures["answered_before_kill"] >= 20
    assert {k: figures[k] for k in MUST_BE_ZERO} == dict.fromkeys(MUST_BE_ZERO, 0)
    # The server it stopped with SIGTERM ended as `aisle serve` does, with exit status 0 (not -15).
    assert figures["server_exit"] == 0
