"""A headless phone: AppState, Controller, prefs, outbox and cache in a temp data dir, no Kivy.

`post` runs the function at once under a lock (standing in for the UI thread). `run_in_background` runs it
inline, so an action has finished when its call returns, except when called from inside `post`: the UI
thread never waits for the network, so that work goes to a thread (`Phone.settle` waits for those).
Floor events arrive on the listener's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from mobile_app.api.client import AisleClient
from mobile_app.api.floor import FloorListener
from mobile_app.state.cache import ProfileCache
from mobile_app.state.controller import Controller
from mobile_app.state.outbox import Outbox
from mobile_app.state.prefs import Prefs
from mobile_app.state.store import AppState
from tests.mobile_app.conftest import WAIT, wait_until


@dataclass
class Phone:
    """The app's core as the Kivy screens see it."""

    data_dir: Path
    state: AppState
    controller: Controller
    prefs: Prefs
    outbox: Outbox
    cache: ProfileCache
    changes: list[set[str]] = field(default_factory=list)
    workers: list[threading.Thread] = field(default_factory=list)

    def settle(self) -> None:
        """Wait for the work the UI thread handed off."""
        for worker in list(self.workers):
            worker.join(timeout=WAIT)
            assert not worker.is_alive(), f"work handed off by the UI thread still running after {WAIT:g} s"

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Wait for the state to reach `condition`."""
        wait_until(condition, timeout=timeout, what=what)

    def sign_in(self, url: str, login: tuple[str, str]) -> None:
        """Sign in and wait until the floor is live."""
        self.controller.sign_in(url, *login)
        assert self.state.staff is not None, self.state.error
        self.wait(lambda: self.state.connection == "online", "the floor online")

    def close(self) -> None:
        """Sign out (stops the listener) and close the files."""
        self.controller.sign_out()
        self.settle()
        self.outbox.close()
        self.cache.close()


def make_phone(data_dir: Path) -> Phone:
    """A phone whose data lives in `data_dir` (a second phone on the same dir is the app restarted)."""
    lock = threading.RLock()
    on_ui = threading.local()
    workers: list[threading.Thread] = []

    def post(fn: Callable[[], object]) -> None:
        with lock:
            on_ui.depth = getattr(on_ui, "depth", 0) + 1
            try:
                fn()
            finally:
                on_ui.depth -= 1

    def run_in_background(fn: Callable[[], object]) -> None:
        if getattr(on_ui, "depth", 0):
            worker = threading.Thread(target=fn, daemon=True)
            workers.append(worker)
            worker.start()
        else:
            fn()

    state = AppState()
    prefs, outbox, cache = Prefs(data_dir), Outbox(data_dir), ProfileCache(data_dir)
    controller = Controller(
        state,
        # A pulled cable fails a request at once; the timeout only stops a loaded server failing one.
        lambda url, token: AisleClient(url, token, timeout=WAIT),
        prefs,
        outbox,
        cache,
        post=post,
        run_in_background=run_in_background,
        listener_factory=partial(FloorListener, initial_backoff=0.1, max_backoff=0.5),
    )
    phone = Phone(data_dir, state, controller, prefs, outbox, cache, workers=workers)
    state.subscribe(phone.changes.append)
    return phone


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Phone]:
    """A fresh phone, signed out at the end."""
    made = make_phone(tmp_path / "phone")
    yield made
    made.close()
