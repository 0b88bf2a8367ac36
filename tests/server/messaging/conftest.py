"""Fixtures for messaging tests: a world, a member with a phone, a dispatcher on a pinned clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member
from server.messaging.adapters.console import ConsoleAdapter
from server.messaging.dispatch import Dispatcher
from server.messaging.runner import dispatcher_for
from tests.fixtures.factories import World, build_world, make_member

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, outside the default quiet hours in UTC


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def world(session: Session) -> World:
    """Stores A and B; a clerk, cashier and manager of A; a clerk of B; an analyst, an admin, a no-role."""
    return build_world(session)


@pytest.fixture
def member(session: Session, context: AppContext, world: World) -> Member:
    """A member of store A with a phone number who agreed to marketing."""
    found = make_member(session, context.keys, world.store_a, name="Li Na", phone="13800138000")
    found.marketing_consent = True
    found.locale = "zh-CN"
    session.commit()
    return found


@pytest.fixture
def clock() -> Clock:
    """Noon UTC on a Monday, moved by the test."""
    return Clock()


@dataclass
class Dispatchers:
    """Makes dispatchers on the test's context and clock."""

    context: AppContext
    clock: Clock
    made: list[Dispatcher] = field(default_factory=list)

    def __call__(self, transport: httpx.BaseTransport | None = None) -> Dispatcher:
        made = dispatcher_for(self.context, self.clock, transport)
        self.made.append(made)
        return made

    def console(self) -> ConsoleAdapter:
        adapter = dispatcher_for(self.context, self.clock).adapters.by_channel["sms"]
        assert isinstance(adapter, ConsoleAdapter)
        return adapter


@pytest.fixture
def dispatchers(context: AppContext, clock: Clock) -> Dispatchers:
    return Dispatchers(context, clock)


Run = Callable[[], int]
