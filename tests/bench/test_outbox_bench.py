"""bench/outbox.py runs end to end on a small chain, kill -9 included, and counts no violation."""

from __future__ import annotations

import pytest

from tests.bench.runner import run_bench
from tests.conftest import PG_URL

MUST_BE_ZERO = (
    "duplicate_sends",
    "lost",
    "unknown_after_reconcile",
    "sent_after_opt_out",
    "quiet_hour_violations",
    "cap_violations",
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_outbox_bench_counts_no_violation(backend: str) -> None:
    if backend == "postgresql" and not PG_URL:
        pytest.skip("AISLE_TEST_POSTGRES_URL is not set")
    args = ["--backend", backend, "--messages", "1000", "--url", PG_URL or ""]
    figures, _ = run_bench("outbox", args)
    assert figures["backend"] == backend and figures["provider_sends"] > 100
    assert {k: figures[k] for k in MUST_BE_ZERO} == dict.fromkeys(MUST_BE_ZERO, 0)
    assert figures["statuses"].get("suppressed", 0) > 0  # opt-outs were exercised
