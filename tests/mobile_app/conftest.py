"""A real Aisle server for the phone app's tests: the generated demo chain (`aisle demo --generate`) on
SQLite, served by uvicorn on a loopback port in a thread, once per test session (`demo_server`).

The app's tests talk to it only over HTTP and the floor socket, as the phone does. `Cable` stands between
the phone and the server so a test can pull the plug (the network drops) and put it back.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, update

from server.app import create_app
from server.config import Settings
from server.core.context import AppContext
from server.db.tables import Coupon, IssuedOffer, Member, Store
from server.demo import service as demo
from server.demo.generator import FEATURED_MEMBER_CARD, FEATURED_MEMBER_NAME
from server.members.access import LookupLimit
from server.members.deps import get_lookup_limit
from server.recommendations.engine import holder_for
from tests.mobile_app.cable import Cable

# A small chain keeps set-up near ten seconds; the featured member and every demo account are always there.
DEMO_MEMBERS = 300
HEARTBEAT = 1.0
# How long a wait may last before the test fails: only a hang guard (a loaded machine is slow, not wrong).
WAIT = 180.0


@dataclass(frozen=True)
class DemoServer:
    """The running demo server: where it is, who can sign in, the member to look up."""

    url: str  # http://127.0.0.1:PORT (no /api/v1)
    app: FastAPI
    context: AppContext
    store_id: int  # Shanghai Jing'an, where the sh.* staff work
    featured_member_id: int
    featured_name: str = FEATURED_MEMBER_NAME  # 王芳
    featured_card: str = FEATURED_MEMBER_CARD  # 605000000014
    clerk: tuple[str, str] = ("sh.clerk1", "demo-sh-clerk1")
    manager: tuple[str, str] = ("sh.manager", "demo-sh-manager")
    vip: tuple[str, str] = ("sh.vip", "demo-sh-vip")
    admin: tuple[str, str] = ("admin", "demo-admin")

    @property
    def ws_url(self) -> str:
        """The same server as ws://."""
        return self.url.replace("http://", "ws://", 1)

    def token(self, login: str, password: str) -> str:
        """A bearer token for a demo account (signed in over HTTP, as the phone does)."""
        response = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": login, "password": password}, timeout=WAIT
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def arrive(self, token: str, store_id: int | None = None, **body: Any) -> dict[str, Any]:
        """POST an arrival (source till unless given) straight to the server, as a till would."""
        response = httpx.post(
            f"{self.url}/api/v1/stores/{store_id or self.store_id}/arrivals",
            json={"source": "till", **body},
            headers={"Authorization": f"Bearer {token}"},
            timeout=WAIT,
        )
        assert response.status_code == 202, response.text
        return dict(response.json())


def free_port_socket() -> socket.socket:
    """A socket bound to a free loopback port (uvicorn listens on it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def dead_url() -> str:
    """An http:// URL where nothing listens (a port bound, then released)."""
    with free_port_socket() as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def build_demo(data_dir: Path) -> AppContext:
    """The generated demo chain in a SQLite file under `data_dir` (what `aisle demo --generate` sets up)."""
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'aisle.db'}",
        secret_key=SecretStr("mobile-app-test-secret-0123456789"),
        floor_heartbeat_seconds=HEARTBEAT,
        _env_file=None,  # type: ignore[call-arg]
    )
    context = demo.open_demo_database(settings)
    demo.set_up_demo(context, generate=True, members=DEMO_MEMBERS)
    return context


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo chain served on a free loopback port for the whole session."""
    context = build_demo(tmp_path_factory.mktemp("demo-server"))
    holder_for(context).get()  # build the recommender (the real model) before the first request waits on it
    with context.sessions() as session:
        store_id = session.scalars(select(Store.id).where(Store.code == "SH-JINGAN")).one()
        member_id = session.scalars(select(Member.id).where(Member.card_number == FEATURED_MEMBER_CARD)).one()
    app = create_app(context.settings, context=context)
    # Many tests look members up as the same clerk within a minute; the per-clerk limit is tested elsewhere.
    app.dependency_overrides[get_lookup_limit] = lambda: LookupLimit(per_window=100_000)
    sock = free_port_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the demo server did not start"
        time.sleep(0.02)
    try:
        yield DemoServer(
            url=f"http://127.0.0.1:{sock.getsockname()[1]}",
            app=app,
            context=context,
            store_id=store_id,
            featured_member_id=member_id,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        context.engine.dispose()


@pytest.fixture
def cable(demo_server: DemoServer) -> Iterator[Cable]:
    """A plug-pullable TCP path to the demo server."""
    port = int(demo_server.url.rsplit(":", 1)[1])
    with Cable(port) as c:
        yield c


def wait_until(condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    """Poll until `condition()` holds; fail naming `what` if it still does not after `timeout` (a hang)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:g} s for {what}, which never came"
        time.sleep(0.02)


def dormant_client_ready_for_offer(server: DemoServer, clients: Any) -> Any:
    """A dormant client of the consultant, any offer an earlier test gave them lapsed (one open at a time)."""
    dormant = next(c for c in clients if c.dormant)
    with server.context.sessions() as session:
        lapse = update(IssuedOffer).where(IssuedOffer.member_id == dormant.member_id)
        session.execute(lapse.values(valid_until=date(2000, 1, 1)))
        # Offers are reactivation coupons now; older ones stay in issued_offers.
        lapse_coupons = update(Coupon).where(
            Coupon.member_id == dormant.member_id, Coupon.source == "reactivation"
        )
        session.execute(lapse_coupons.values(valid_until=date(2000, 1, 1)))
        session.commit()
    return dormant
