"""What the phone app writes to its log while it signs in, looks a customer up and listens to the floor."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from mobile_app.api.client import AisleClient
from mobile_app.api.errors import ApiError
from mobile_app.api.floor import FloorListener
from mobile_app.logs import configure_logging
from tests.mobile_app.conftest import DemoServer, wait_until

PHONE = "13912345678"


class Records(logging.Handler):
    """Every record that reaches the root logger's handlers (as Kivy's console and file handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kivy_logging() -> Iterator[Records]:
    """The root logger as Kivy's default log mode leaves it (NOTSET: everything), restored afterwards."""
    names = ("", "kivy", "httpx", "httpcore", "websockets")
    saved = {name: logging.getLogger(name).level for name in names}
    records = Records()
    root = logging.getLogger()
    root.setLevel(logging.NOTSET)
    root.addHandler(records)
    try:
        yield records
    finally:
        root.removeHandler(records)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_the_app_logs_at_info_without_the_token_or_the_phone_looked_up(
    demo_server: DemoServer, kivy_logging: Records
) -> None:
    configure_logging()
    client = AisleClient(demo_server.url)
    token = client.sign_in(*demo_server.clerk).access_token
    with pytest.raises(ApiError):
        client.lookup(phone=PHONE)  # nobody has it: a 404, logged or not
    statuses: list[str] = []
    listener = FloorListener(demo_server.url, token, None, lambda _frame: None, statuses.append).start()
    try:
        wait_until(lambda: listener.status == "online", what="the floor")
    finally:
        listener.stop()
        client.close()
    assert logging.getLogger().getEffectiveLevel() == logging.INFO
    assert logging.getLogger("kivy").getEffectiveLevel() == logging.INFO
    lines = [r.getMessage() for r in kivy_logging.records]
    assert all(r.levelno >= logging.INFO for r in kivy_logging.records), lines
    text = "\n".join(lines)
    assert token not in text and token.split(".")[2] not in text, text
    assert PHONE not in text, text
