"""A real server on a loopback port (uvicorn in a thread) and a small WebSocket client for the floor tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from server.app import create_app
from server.auth.tokens import issue_token
from server.core.context import AppContext
from server.db.tables import Staff
from server.realtime import presence as presence_module
from server.realtime.service import Floor, publish_to_floor
from tests.fixtures.factories import World, build_world

HEARTBEAT = 0.4
# How long a wait may last before the test fails: only a hang guard (a loaded machine is slow, not wrong).
WAIT = 120.0


@dataclass
class LiveServer:
    """A running server: where to connect, and its app (whose floor tests publish through)."""

    url: str
    app: FastAPI
    context: AppContext

    @property
    def floor(self) -> Floor:
        """The server's live floor."""
        floor = self.app.state.floor
        assert isinstance(floor, Floor)
        return floor


def token_for(context: AppContext, staff: Staff, minutes: int = 60) -> str:
    """A token signed as the server signs them."""
    return issue_token(context.keys.jwt, staff_id=staff.id, version=staff.token_version, minutes=minutes)


def floor_url(base: str, **params: Any) -> str:
    """The floor socket URL with any of since / store_id (never the token: URLs end up in logs)."""
    query = {k: v for k, v in params.items() if v is not None}
    return f"{base}/api/v1/ws/floor" + (f"?{urlencode(query)}" if query else "")


def subprotocols(token: str | None) -> list[Subprotocol]:
    """What a phone offers: the protocol, and the token as `bearer.<token>` when it has one."""
    offered = [Subprotocol("aisle.v1")]
    return offered + [Subprotocol(f"bearer.{token}")] if token is not None else offered


def open_floor(base: str, token: str | None, **params: Any) -> ClientConnection:
    """A connected floor socket, signed in through the Sec-WebSocket-Protocol header."""
    return connect(
        floor_url(base, **params), subprotocols=subprotocols(token), open_timeout=WAIT, close_timeout=1
    )


def next_frame(
    ws: ClientConnection, skip: tuple[str, ...] = ("ping",), timeout: float = WAIT
) -> dict[str, Any]:
    """The next frame whose type is not in `skip` (heartbeats by default)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            raise TimeoutError(f"no frame other than {skip} came in {timeout:g} s") from None
        if frame["type"] not in skip:
            return frame  # type: ignore[no-any-return]


def greet(ws: ClientConnection) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The frames that open every session: hello, the replayed events, ready."""
    hello = next_frame(ws)
    assert hello["type"] == "hello", hello
    replayed = []
    while (frame := next_frame(ws))["type"] == "event":
        replayed.append(frame)
    assert frame["type"] == "ready", frame
    return hello, replayed, frame


def close_code(ws: ClientConnection, timeout: float = WAIT) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    try:
        while True:
            ws.recv(timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"the server kept the socket open and silent for {timeout:g} s") from None
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "the connection dropped without a close frame"
        return exc.rcvd.code, exc.rcvd.reason


def free_socket() -> socket.socket:
    """A listening-ready socket bound to a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def world(session: Session) -> World:
    """Stores A and B; a clerk, cashier and manager of A; a clerk of B; an analyst, an admin, a no-role."""
    return build_world(session)


@contextmanager
def serve(context: AppContext, log_level: str = "warning") -> Iterator[LiveServer]:
    """The app served by uvicorn on a free loopback port in a thread, with a fast heartbeat."""
    fast = replace(
        context, settings=context.settings.model_copy(update={"floor_heartbeat_seconds": HEARTBEAT})
    )
    app = create_app(fast.settings, context=fast)
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:
        assert thread.is_alive(), "the test server stopped before it started"
        assert time.monotonic() < deadline, f"the test server did not start in {WAIT:g} s"
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"ws://127.0.0.1:{port}", app=app, context=fast)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live(context: AppContext) -> Iterator[LiveServer]:
    """A server for the test's database (SQLite and PostgreSQL), on a real loopback socket."""
    with serve(context) as server:
        yield server


def publish(
    server: LiveServer, store_id: int, payload: dict[str, Any], also: tuple[int, ...] = ()
) -> list[tuple[int, int]]:
    """Publish a 'member.arrived' event through the server's floor, as the arrival endpoint will."""
    with server.context.sessions() as session:
        sent = publish_to_floor(
            session, server.floor, store_id, "member.arrived", payload, also_staff_ids=also
        )
        session.commit()
    return sent


class SteppedClock:
    """Presence's clock (wall and monotonic), moved on by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def step(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def presence_clock(monkeypatch: pytest.MonkeyPatch) -> SteppedClock:
    """The clock floor presence reads (TTLs, grace periods, its Redis scores), stepped by the test."""
    stepped = SteppedClock()
    monkeypatch.setattr(presence_module, "time", stepped)
    return stepped
