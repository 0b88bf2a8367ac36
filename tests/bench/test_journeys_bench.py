"""bench/journeys.py runs a small week on SQLite: its figures are all there and nothing was done twice."""

from __future__ import annotations

from tests.bench.runner import run_bench

KEYS = {
    "backend",
    "members",
    "enrolments",
    "steps",
    "seconds",
    "steps_per_s",
    "double_sends",
    "double_enrolments",
    "missed_due_steps",
    "lift_error",
}


def test_a_small_week_of_journeys_does_nothing_twice_and_misses_nothing() -> None:
    args = ["--backend", "sqlite", "--members", "300", "--no-dev-data"]
    figures, _ = run_bench("journeys", args, timeout=120)
    assert KEYS <= set(figures)
    assert figures["backend"] == "sqlite" and figures["members"] == 300
    assert figures["double_sends"] == figures["double_enrolments"] == figures["missed_due_steps"] == 0
    assert figures["double_coupons"] == figures["lost_sends"] == figures["stranded_enrolments"] == 0
    # Everyone entered the member day and was told (or held out) once; the campaign and birthdays ran.
    assert figures["headline_enrolments"] == 300
    assert figures["enrolments_per_journey"]["member-day"] == 300
    assert figures["journey_messages"] > 0 and figures["journey_coupons"] > 0
    assert figures["lift_error"] is not None
