"""The real server on a loopback port and Debian's chromium at a phone's size, driven by Playwright.

Never downloads a browser: /usr/bin/chromium (scripts/setup.sh installs the `chromium` package) runs
with --no-sandbox, as the tests run as root. Skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session

from server.app import create_app
from server.core.context import AppContext
from server.db.tables import Store
from server.messaging.runner import dispatcher_for
from tests.fixtures.factories import make_store
from tests.fixtures.waiting import WAIT, wait_until
from tests.server.realtime.conftest import free_socket

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
# Screenshots go to $AISLE_SCREENSHOT_DIR when set (AISLE_SCREENSHOT_DIR=docs/screenshots refreshes the
# committed ones), else to a temp folder: a test run never changes the checkout.
SCREENSHOTS = Path(os.environ.get("AISLE_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="aisle-shots-"))

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")


@dataclass
class Site:
    """The running server: its base URL, its context, and the console adapter's messages."""

    url: str
    context: AppContext

    def sms(self) -> list[dict[str, object]]:
        """Send what is queued (one dispatcher round), then every message the console adapter wrote."""
        dispatcher_for(self.context).run_once()
        path = self.context.settings.data_dir / "messages.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def code_for(self, phone_tail: str) -> str:
        """The newest sign-in code texted to a number ending in `phone_tail`."""
        found: list[str] = []

        def sent() -> bool:
            found[:] = [
                str(m["text"])
                for m in self.sms()
                if m["purpose"] == "sign_in_code" and str(m["to"]).endswith(phone_tail)
            ]
            return bool(found)

        wait_until(sent, f"a sign-in code to …{phone_tail}")
        code = re.search(r"(?<!\d)(\d{6})(?!\d)", found[-1])
        assert code is not None
        return code.group(1)


@pytest.fixture
def door_store(session: Session) -> Store:
    found = make_store(
        session, code="SH-JINGAN", name="静安店 Jing'an", timezone="Asia/Shanghai", currency="CNY"
    )
    session.commit()
    return found


@pytest.fixture
def site(context: AppContext, door_store: Store) -> Iterator[Site]:
    """uvicorn serving the app on a free loopback port in a thread, on the test's database."""
    app = create_app(context.settings, context=context)
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), "the test server to start")
    assert thread.is_alive(), "the test server stopped before it started"
    try:
        yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", context)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def browser() -> Iterator[object]:
    # Per test, not per session: Playwright's sync API holds an event loop in this thread while it runs,
    # and another test in the same worker calling asyncio.run() would find it running.
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    """A fresh browser context the size of a phone (390×844, touch, 3× pixels), in English."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(WAIT * 1000)
    page = context.new_page()
    yield page
    context.close()


def shoot(page: object, name: str) -> None:
    """Save a full-page screenshot as member_page_<name>.png in SCREENSHOTS (looked at, not compared)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"member_page_{name}.png"), full_page=True)  # type: ignore[attr-defined]
