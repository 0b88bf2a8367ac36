"""Floor presence shared through Redis: every process sees every socket, and a dead process's sockets
drop off the floor once their TTL runs out."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from server.realtime.presence import Presence
from tests.server.realtime.conftest import SteppedClock

REDIS_URL = os.environ.get("AISLE_TEST_REDIS_URL", "")
if os.environ.get("CI") and not REDIS_URL:
    raise pytest.UsageError(
        "CI must test floor presence in Redis: set AISLE_TEST_REDIS_URL (.ci/services.sh)"
    )
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="AISLE_TEST_REDIS_URL is not set")


def test_presence_is_shared_and_expires(presence_clock: SteppedClock) -> None:
    namespace = uuid.uuid4().hex[:16]  # keeps parallel runs on one Redis apart

    async def scenario() -> None:
        here = Presence(ttl_seconds=60.0, namespace=namespace, redis_url=REDIS_URL)
        there = Presence(ttl_seconds=60.0, namespace=namespace, redis_url=REDIS_URL)
        elsewhere = Presence(ttl_seconds=60.0, namespace=uuid.uuid4().hex[:16], redis_url=REDIS_URL)
        for p in (here, there, elsewhere):
            await p.start()
        try:
            await here.join(1, 10, "c1")
            await here.join(1, 10, "c2")  # a second phone of the same clerk
            await there.join(1, 11, "c3")
            await there.join(2, 12, "c4")
            assert here.staff_on_floor(1) == there.staff_on_floor(1) == {10, 11}
            assert here.local_staff(1) == {10} and there.staff_on_floor(2) == {12}
            assert elsewhere.staff_on_floor(1) == set()  # another deployment on the same Redis
            await here.leave(1, 10, "c1")
            assert there.staff_on_floor(1) == {10, 11}  # the clerk's other phone is still there
            await here.leave(1, 10, "c2")
            assert there.staff_on_floor(1) == {11} and here.local_staff(1) == set()
            # `there` dies without leaving: its sockets fall off once the TTL passes without a heartbeat.
            presence_clock.step(40)
            await there.refresh(2, 12, "c4")
            presence_clock.step(40)
            assert here.staff_on_floor(1) == set() and here.staff_on_floor(2) == {12}
        finally:
            for p in (here, there, elsewhere):
                await p.stop()

    asyncio.run(scenario())


def test_a_dropped_socket_stays_on_the_floor_for_the_grace_period(presence_clock: SteppedClock) -> None:
    namespace = uuid.uuid4().hex[:16]

    async def scenario() -> None:
        here = Presence(ttl_seconds=300.0, namespace=namespace, redis_url=REDIS_URL, grace_seconds=30.0)
        there = Presence(ttl_seconds=300.0, namespace=namespace, redis_url=REDIS_URL, grace_seconds=30.0)
        for p in (here, there):
            await p.start()
        try:
            await here.join(1, 10, "c1")
            await here.join(1, 11, "c2")
            await here.leave(1, 10, "c1")  # Wi-Fi lost
            await here.leave(1, 11, "c2", signed_out=True)  # signed out
            assert here.staff_on_floor(1) == there.staff_on_floor(1) == {10}
            assert here.local_staff(1) == {10}
            presence_clock.step(45)
            assert here.staff_on_floor(1) == there.staff_on_floor(1) == set()
            await here.join(1, 10, "c3")  # back before the end of a grace period: counted as present
            await here.leave(1, 10, "c3")
            await here.join(1, 10, "c4")
            presence_clock.step(45)
            assert here.staff_on_floor(1) == there.staff_on_floor(1) == {10}
        finally:
            for p in (here, there):
                await p.stop()

    asyncio.run(scenario())
