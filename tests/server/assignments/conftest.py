"""Two stores' staff plus consultants: two VIP consultants of store A, one of B, one deactivated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.core.context import AppContext
from server.db.tables import Member, Staff
from tests.fixtures.factories import World, build_world, make_member, make_staff

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class Team:
    world: World
    vip: Staff  # VIP consultant in store A
    vip2: Staff  # another one in store A
    vip_b: Staff  # VIP consultant in store B
    gone: Staff  # deactivated VIP consultant of store A
    ann: Member  # a member of store A
    bob: Member  # another member of store A


@pytest.fixture
def team(session: Session, context: AppContext) -> Team:
    world = build_world(session)
    a, b = world.store_a.id, world.store_b.id
    team = Team(
        world=world,
        vip=make_staff(session, [(Role.VIP_CONSULTANT, a)]),
        vip2=make_staff(session, [(Role.VIP_CONSULTANT, a)]),
        vip_b=make_staff(session, [(Role.VIP_CONSULTANT, b)]),
        gone=make_staff(session, [(Role.VIP_CONSULTANT, a)], active=False),
        ann=make_member(session, context.keys, world.store_a, name="Ann 安"),
        bob=make_member(session, context.keys, world.store_a, name="Bob"),
    )
    session.commit()
    return team
