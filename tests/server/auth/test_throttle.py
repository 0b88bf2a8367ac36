"""The sign-in throttle: five failures in fifteen minutes lock a login until the oldest ages out."""

from __future__ import annotations

import pytest

from server.auth.throttle import LoginThrottle, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_the_login_with_a_retry_time() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(4):
        throttle.failed("alice")
        throttle.check("alice")
    throttle.failed("alice")
    with pytest.raises(TooManyAttempts) as caught:
        throttle.check("alice")
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 15 * 60


def test_lock_lifts_when_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    throttle.failed("alice")
    clock.now += 600
    for _ in range(4):
        throttle.failed("alice")
    assert throttle.retry_after("alice") == 300
    clock.now += 300
    assert throttle.retry_after("alice") == 0
    throttle.check("alice")


def test_failures_spread_beyond_the_window_never_lock() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(20):
        throttle.failed("alice")
        clock.now += 4 * 60
        throttle.check("alice")


def test_logins_are_counted_separately_and_without_case() -> None:
    throttle = LoginThrottle(clock=Clock())
    for _ in range(5):
        throttle.failed("Alice ")
    with pytest.raises(TooManyAttempts):
        throttle.check("alice")
    throttle.check("bob")


def test_success_clears_the_count() -> None:
    throttle = LoginThrottle(clock=Clock())
    for _ in range(4):
        throttle.failed("alice")
    throttle.succeeded("alice")
    for _ in range(4):
        throttle.failed("alice")
    throttle.check("alice")


def test_memory_stays_bounded_under_a_flood_of_logins() -> None:
    throttle = LoginThrottle(clock=Clock(), max_tracked=100)
    for i in range(1000):
        throttle.failed(f"user{i}")
    assert len(throttle._failures) <= 100
