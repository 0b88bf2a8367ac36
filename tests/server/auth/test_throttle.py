"""The sign-in throttle: failures lock a (login, address) pair with back-off, an address spraying many
logins, and a login only under a distributed volume, so nobody can lock a clerk out of their shift."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.throttle import LoginThrottle, TooManyAttempts
from tests.fixtures.factories import PASSWORD, World, make_staff

TOKEN = "/api/v1/auth/token"
TILL, ATTACKER = "10.0.0.7", "10.0.0.66"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(throttle: LoginThrottle, login: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        throttle.check(login, address)
        throttle.failed(login, address)


def test_five_failures_lock_the_login_from_that_address_only() -> None:
    throttle = LoginThrottle(clock=Clock())
    _fail(throttle, "alice", ATTACKER, 4)
    throttle.check("alice", ATTACKER)
    throttle.failed("alice", ATTACKER)
    with pytest.raises(TooManyAttempts) as caught:
        throttle.check("alice", ATTACKER)
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 60
    assert "too many failed sign-ins" in caught.value.message
    throttle.check("alice", TILL)  # the clerk at the till is not locked out
    throttle.check("bob", ATTACKER)  # nor is the attacker's address, yet


def test_each_failure_after_a_lock_doubles_the_wait_up_to_the_cap() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    _fail(throttle, "alice", ATTACKER, 5)
    waits = []
    for _ in range(6):
        wait = throttle.retry_after("alice", ATTACKER)
        waits.append(wait)
        clock.now += wait
        _fail(throttle, "alice", ATTACKER)
    assert waits == [60, 120, 240, 480, 900, 900]
    assert throttle.retry_after("alice", TILL) == 0


def test_logins_and_addresses_are_compared_without_case_or_spaces() -> None:
    throttle = LoginThrottle(clock=Clock())
    _fail(throttle, "Alice ", f" {ATTACKER}", 5)
    assert throttle.retry_after("alice", ATTACKER) == 60


def test_success_clears_the_failures_of_that_address_only() -> None:
    throttle = LoginThrottle(clock=Clock())
    _fail(throttle, "alice", TILL, 4)
    _fail(throttle, "alice", ATTACKER, 4)
    throttle.succeeded("alice", TILL)
    _fail(throttle, "alice", TILL, 4)
    throttle.check("alice", TILL)
    throttle.failed("alice", ATTACKER)
    assert throttle.retry_after("alice", ATTACKER) == 60


def test_failures_older_than_the_window_are_forgotten() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(20):
        _fail(throttle, "alice", TILL)
        clock.now += 15 * 60  # one mistyped password a quarter of an hour, all shift
    throttle.check("alice", TILL)


def test_one_address_failing_against_many_logins_is_throttled_as_an_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for n in range(20):  # one password tried on every login: each login fails once
        _fail(throttle, f"clerk{n}", ATTACKER)
    first = throttle.retry_after("someone-new", ATTACKER)
    assert first == 60
    throttle.check("clerk1", TILL)  # other addresses are unaffected
    clock.now += first
    _fail(throttle, "clerk99", ATTACKER)
    assert throttle.retry_after("someone-else", ATTACKER) == 120


def test_a_login_is_locked_for_everyone_only_under_a_distributed_volume() -> None:
    throttle = LoginThrottle(clock=Clock())
    for n in range(49):
        _fail(throttle, "alice", f"192.0.2.{n}")
    throttle.check("alice", TILL)
    _fail(throttle, "alice", "192.0.2.200")
    with pytest.raises(TooManyAttempts) as caught:
        throttle.check("alice", TILL)
    assert caught.value.retry_after == 15 * 60
    throttle.check("bob", TILL)


def test_memory_stays_bounded_under_a_flood_of_logins_and_addresses() -> None:
    throttle = LoginThrottle(clock=Clock(), max_tracked=100)
    for i in range(1000):
        throttle.failed(f"user{i}", f"198.51.100.{i % 250}")
    assert throttle.tracked() <= 3 * 100


def _client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_an_attacker_cannot_lock_a_clerk_out_of_their_shift(
    client: TestClient, session: Session, world: World
) -> None:
    make_staff(session, [(Role.CLERK, world.store_a.id)], login="sh.clerk1")
    session.commit()
    app = client.app
    assert isinstance(app, FastAPI)
    clock = Clock()
    app.state.login_throttle = LoginThrottle(clock=clock)
    attacker, till = _client_at(app, ATTACKER), _client_at(app, TILL)
    guess = {"username": "sh.clerk1", "password": "guess"}
    guesses = [attacker.post(TOKEN, data=guess) for _ in range(20)]
    assert [r.status_code for r in guesses] == [401] * 5 + [429] * 15
    signed_in = till.post(TOKEN, data={"username": "sh.clerk1", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    # The attacker waits out each lock and guesses again: every wait is longer than the last.
    waits = [int(guesses[-1].headers["Retry-After"])]
    for _ in range(3):
        clock.now += waits[-1]
        assert attacker.post(TOKEN, data={"username": "sh.clerk1", "password": "again"}).status_code == 401
        locked = attacker.post(TOKEN, data={"username": "sh.clerk1", "password": PASSWORD})
        assert locked.status_code == 429  # even the right password, from that address
        waits.append(int(locked.headers["Retry-After"]))
    assert waits == [60, 120, 240, 480]
    assert till.post(TOKEN, data={"username": "sh.clerk1", "password": PASSWORD}).status_code == 200


def test_an_address_spraying_logins_gets_429_and_others_do_not(
    client: TestClient, session: Session, world: World
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.login_throttle = LoginThrottle(clock=Clock())
    attacker, till = _client_at(app, ATTACKER), _client_at(app, TILL)
    sprayed = [attacker.post(TOKEN, data={"username": f"guess{n}", "password": PASSWORD}) for n in range(20)]
    assert {r.status_code for r in sprayed} == {401}
    refused = attacker.post(TOKEN, data={"username": world.clerk_a.login, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 60
    assert "from this address" in refused.json()["detail"]
    assert till.post(TOKEN, data={"username": world.clerk_a.login, "password": PASSWORD}).status_code == 200
