"""One phone app for the whole session, offscreen at 1080x2340 density 3, talking to the real demo server.

Kivy allows one window per process, so every screen test shares `phone` and moves between screens
(signing in as the account it needs). Each test saves PNGs of what it drove under `shots`:
$AISLE_SCREENSHOT_DIR when set, otherwise a session temp folder.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.offscreen import configure

configure()  # before anything imports Kivy's window

from mobile_app.offscreen import Harness  # noqa: E402
from tests.mobile_app.conftest import DemoServer  # noqa: E402

# Only turns a hang into a failure: a loaded machine took 28 s to sign in, and waiting is not what is tested.
WAIT = 180.0
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str) -> list[str]:
    """Latin words in what should read as Chinese, bar the tier name VIP that is the same in both."""
    return [w for w in LATIN_WORD.findall(text) if w != "VIP"]


class Phone(Harness):
    """The harness plus the sign-in and REST shortcuts the screen tests share."""

    server: DemoServer

    def sign_in(self, login: str, password: str, url: str | None = None) -> None:
        """Sign in through the sign-in screen as `login` (signing out whoever was in first)."""
        if self.state.staff is not None:
            if self.state.staff.username == login:
                self.root.tab("floor")
                self.settle()
                return
            self.controller.sign_out()
            self.wait(lambda: self.current() == "signin", "the sign-in screen after signing out")
        screen = self.screen("signin")
        screen.ids.server.text = url or self.server.url
        screen.ids.username.text = login
        screen.ids.password.text = password
        screen.submit()
        self.wait(lambda: self.state.staff is not None and not self.state.busy, f"{login} signed in")
        self.wait(lambda: self.current() == "floor" and self.state.connection == "online", "the floor online")

    def wait(self, until: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Run frames until `until()` holds; if it never does, fail naming `what` and the app's state."""
        if not self.pump(until, timeout):
            raise AssertionError(
                f"waited {timeout:g} s for {what}: screen {self.current()!r}, busy {self.state.busy}, "
                f"connection {self.state.connection!r}, error {self.state.error!r}"
            )

    def set_lang(self, lang: str) -> None:
        """Switch the app's language (as the language button does)."""
        self.controller.set_language(lang)
        self.wait(lambda: self.state.lang == lang, f"the app in {lang}")
        self.settle()

    def open_member(self, member_id: int) -> Any:
        """Open a member's 360° view and wait for the profile and its suggestions."""
        self.controller.open_member(member_id)
        screen = self.go("member")
        self.wait(
            lambda: (
                self.state.member is not None
                and self.state.member.id == member_id
                and not self.state.busy
                and screen.ids.name.text == self.state.member.name
            ),
            f"member {member_id}'s profile on screen",
        )
        self.settle()
        return screen

    def get(self, path: str, account: tuple[str, str]) -> Any:
        """GET /api/v1/{path} straight from the server, as `account` (to check what the app shows)."""
        token = self.server.token(*account)
        response = httpx.get(
            f"{self.server.url}/api/v1/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=WAIT
        )
        response.raise_for_status()
        return response.json()

    def pump_while(self, work: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Run `work` on a thread while frames keep running here (a till posting as the phone listens).

        `timeout` only turns a hung `work` into a failure.
        """
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                result["value"] = work()
            except BaseException as exc:  # handed back to the test below
                result["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while thread.is_alive():
            assert time.monotonic() < deadline, f"{work} still running after {timeout:g} s"
            self.frame()
        if "error" in result:
            raise result["error"]
        return result.get("value")


@pytest.fixture(scope="session")
def phone(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    """The app, built once, attached to the offscreen window."""
    harness = Phone(tmp_path_factory.mktemp("phone-data"))
    harness.server = demo_server
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screen tests write their PNGs."""
    chosen = os.environ.get("AISLE_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def clerk(phone: Phone) -> Phone:
    """The app signed in as the Shanghai clerk sh.clerk1, on the floor, in English."""
    phone.sign_in(*phone.server.clerk)
    phone.set_lang("en")
    return phone
