"""Two server processes on one PostgreSQL database and one Redis: an event published on one reaches a
phone connected to the other, and presence on either counts on both."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.tokens import issue_token
from server.core.crypto import Keys
from server.db import migrate
from server.db.session import make_engine
from server.db.tables import Staff
from tests.conftest import PG_URL, postgres_schema
from tests.fixtures.factories import World, build_world, make_staff
from tests.server.realtime.conftest import WAIT, close_code, greet, next_frame, open_floor

REDIS_URL = os.environ.get("AISLE_TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.postgres
if os.environ.get("CI") and not (REDIS_URL and PG_URL):
    raise pytest.UsageError(
        "CI must run the multi-process floor test: set AISLE_TEST_REDIS_URL (.ci/services.sh)"
    )
if not (REDIS_URL and PG_URL):
    pytestmark = pytest.mark.skip(reason="needs AISLE_TEST_POSTGRES_URL and AISLE_TEST_REDIS_URL")


class Cluster:
    """Two uvicorn processes serving one deployment."""

    def __init__(self, db_url: str, secret: str, tmp: Path) -> None:
        self.keys = Keys.from_master(secret.encode())
        self.env = {
            **os.environ,
            "AISLE_DATABASE_URL": db_url,
            "AISLE_SECRET_KEY": secret,
            "AISLE_REDIS_URL": REDIS_URL,
            "AISLE_FLOOR_HEARTBEAT_SECONDS": "0.5",
            "AISLE_DATA_DIR": str(tmp),
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []

    def start(self, count: int, tmp: Path) -> None:
        for i in range(count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            self.ports.append(sock.getsockname()[1])
            log = open(tmp / f"server-{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.server.realtime.app_factory:create_test_app",
                "--fd",
                str(sock.fileno()),
                "--ws",
                "websockets-sansio",
                "--log-level",
                "warning",
            ]
            self.procs.append(
                subprocess.Popen(
                    cmd, cwd=ROOT, env=self.env, pass_fds=[sock.fileno()], stdout=log, stderr=log
                )
            )
            sock.close()
        deadline = time.monotonic() + WAIT  # only a hang guard: two servers start slowly on a busy machine
        for proc, port in zip(self.procs, self.ports, strict=True):
            while True:
                assert proc.poll() is None, f"server on port {port} exited: see {tmp}"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"server on port {port} did not answer in {WAIT:g} s"
                time.sleep(0.05)

    def url(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.ports[i]}"

    def token(self, staff: Staff) -> str:
        return issue_token(self.keys.jwt, staff_id=staff.id, version=staff.token_version, minutes=60)

    def publish(
        self, i: int, store_id: int, payload: dict[str, object], also: tuple[int, ...] = ()
    ) -> list[list[int]]:
        response = httpx.post(
            f"http://127.0.0.1:{self.ports[i]}/api/v1/test-only/publish",
            json={"store_id": store_id, "payload": payload, "also_staff_ids": list(also)},
            timeout=WAIT,
        )
        assert response.status_code == 200, response.text
        return sorted(response.json())

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def cluster_db() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def test_two_processes_share_events_and_presence(cluster_db: str, tmp_path: Path) -> None:
    engine = make_engine(cluster_db)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        world: World = build_world(session)
        consultant = make_staff(session, [(Role.VIP_CONSULTANT, world.store_b.id)])
        session.commit()
    a, b = world.store_a.id, world.store_b.id
    cluster = Cluster(cluster_db, secrets.token_hex(16), tmp_path)
    try:
        cluster.start(2, tmp_path)
        with open_floor(cluster.url(1), cluster.token(world.clerk_a)) as clerk_a:
            greet(clerk_a)
            # Process 0 knows that clerk A stands on store A's floor only through Redis.
            sent = cluster.publish(0, a, {"n": 1}, also=(consultant.id,))
            assert sent == sorted([[world.clerk_a.id, 1], [consultant.id, 1]])
            event = next_frame(clerk_a)
            assert (event["seq"], event["payload"], event["store_id"]) == (1, {"n": 1}, a)

            # The consultant was offline: the event waits in the log and is replayed on the other process.
            with open_floor(cluster.url(0), cluster.token(consultant), since=0) as vip:
                _, replayed, ready = greet(vip)
                assert [(e["seq"], e["payload"]) for e in replayed] == [(1, {"n": 1})]
                assert ready == {"type": "ready", "seq": 1, "complete": True}
                # Live, in both directions: published on 1 for a phone on 0, on 0 for a phone on 1.
                cluster.publish(1, b, {"n": 2}, also=(consultant.id,))
                assert next_frame(vip)["payload"] == {"n": 2}
                cluster.publish(0, a, {"n": 3})
                assert next_frame(clerk_a)["payload"] == {"n": 3}
            # The clerk of store B stood on no floor yet, so nothing was kept for them.
            with open_floor(cluster.url(0), cluster.token(world.clerk_b), since=0) as clerk_b:
                _, replayed, ready = greet(clerk_b)
                assert replayed == [] and ready["seq"] == 0
            clerk_a.send(json.dumps({"type": "leave"}))
            assert close_code(clerk_a)[0] == 1000

        # Clerk A signed out: neither process counts them on the floor any more.
        assert cluster.publish(0, a, {"n": 4}) == []
        # Clerk A reconnects on the other process while events keep coming: 2..6 exactly once, in order.
        cluster.publish(0, a, {"n": 5}, also=(world.clerk_a.id,))
        with open_floor(cluster.url(0), cluster.token(world.clerk_a), since=1) as clerk_a:
            cluster.publish(1, a, {"n": 6})
            _, replayed, ready = greet(clerk_a)
            seen = [e["seq"] for e in replayed]
            cluster.publish(1, a, {"n": 7})
            while not seen or seen[-1] < 4:
                seen.append(next_frame(clerk_a)["seq"])
        assert seen == [2, 3, 4]
        assert cluster.procs[0].poll() is None and cluster.procs[1].poll() is None
    finally:
        cluster.stop()
        engine.dispose()
