"""What a real uvicorn server writes to its logs: request paths, never a query's values or a token."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from websockets.sync.client import connect

from server.core.context import AppContext
from tests.fixtures.factories import World
from tests.fixtures.waiting import wait_until
from tests.server.realtime.conftest import (
    WAIT,
    close_code,
    floor_url,
    greet,
    open_floor,
    serve,
    token_for,
)

PHONE = "13912345678"


class Lines(logging.Handler):
    """Every line uvicorn logs, as its own handlers would print it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.guard = threading.Lock()  # not `lock`: logging.Handler holds its own there around emit()

    def emit(self, record: logging.LogRecord) -> None:
        with self.guard:
            self.lines.append(record.getMessage())

    def text(self) -> str:
        with self.guard:
            return "\n".join(self.lines)


@contextmanager
def captured(*names: str) -> Iterator[Lines]:
    """Lines logged to the named loggers while the block runs."""
    lines = Lines()
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(lines)
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(lines)


def test_the_access_log_holds_neither_a_token_nor_a_looked_up_phone(
    context: AppContext, world: World
) -> None:
    token = token_for(context, world.clerk_a)
    with serve(context, log_level="info") as live, captured("uvicorn.access", "uvicorn.error") as log:
        http = live.url.replace("ws://", "http://", 1)
        response = httpx.get(
            f"{http}/api/v1/members/lookup",
            params={"phone": PHONE},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code in (200, 404), response.text
        with open_floor(live.url, token, since=0) as ws:
            greet(ws)
        # An old phone still putting its token in the URL: refused, and not written down either.
        with connect(f"{floor_url(live.url)}?token={token}", open_timeout=WAIT) as ws:
            code, _ = close_code(ws)
            assert code == 4401
        with open_floor(live.url, None) as ws:
            ws.send(json.dumps({"type": "auth", "token": token}))
            greet(ws)
        wait_until(lambda: log.text().count("WebSocket /api/v1/ws/floor") >= 3, "three floor sockets logged")
        wait_until(lambda: "/api/v1/members/lookup" in log.text(), "the lookup logged")
    text = log.text()
    assert "/api/v1/members/lookup?phone=…" in text, text
    assert "/api/v1/ws/floor?since=…" in text, text
    assert PHONE not in text and token not in text, text
    assert token.split(".")[2] not in text  # not even the signature alone
