"""The phone app: AisleApp wires the headless core (state, controller) to the Kivy screens; nothing else.

Run it with `aisle app` or `python -m mobile_app` (mobile_app/desktop.py prepares the desktop first);
the Android build starts `run()` from the top-level main.py. The app keeps its remembered server, offline
queue and saved profiles in Kivy's per-user data directory, or in $AISLE_APP_DATA when that is set.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from mobile_app.api.client import AisleClient, tls_context
from mobile_app.fonts import register_cjk_font
from mobile_app.logs import APP_LEVEL, configure_logging
from mobile_app.platform.notify import Notifier
from mobile_app.state.base import ListenerFactory
from mobile_app.state.cache import ProfileCache
from mobile_app.state.controller import Controller
from mobile_app.state.outbox import Outbox
from mobile_app.state.prefs import Prefs
from mobile_app.state.store import AppState
from mobile_app.widgets import load_widgets, theme

log = logging.getLogger(__name__)
DATA_ENV = "AISLE_APP_DATA"
WORKERS = 4  # network calls at once: a profile, its suggestions, a chat turn, the outbox


def post_to_ui(fn: Callable[[], object]) -> None:
    """Run fn on the UI thread at the next frame (Kivy's clock is safe to schedule from any thread)."""
    Clock.schedule_once(lambda _dt: fn(), 0)


class Background:
    """Runs the controller's network work on a few worker threads, never on the UI thread."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aisle-net")
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, fn: Callable[[], object]) -> None:
        """Queue fn for a worker; after close() new work is dropped."""
        with self._lock:
            if not self._closed:
                self._pool.submit(self._safely, fn)

    @staticmethod
    def _safely(fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:  # the controller reports its own failures; this only keeps the worker alive
            log.exception("background work failed")

    def close(self) -> None:
        """Stop taking work and drop what is queued (a request in flight ends by its own timeout)."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


class AisleApp(App):
    """The Kivy application: builds the core objects and the screen shell."""

    title = "Aisle"

    def __init__(
        self,
        data_dir: Path | str | None = None,
        notifier: Notifier | None = None,
        listener_factory: ListenerFactory | None = None,
        log_level: int = APP_LEVEL,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.log_level = log_level
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self.notifier = notifier or Notifier()
        self._listener_factory = listener_factory
        self.state = AppState()
        self.background = Background()
        self.controller: Controller | None = None
        self.shell: Any = None

    @property
    def data_path(self) -> Path:
        """Where prefs, the outbox and saved profiles live."""
        if self._data_dir is not None:
            return self._data_dir
        return Path(os.environ.get(DATA_ENV) or self.user_data_dir)

    def build(self) -> Any:
        """Register the CJK font, load the widgets, create the controller and the screens."""
        from mobile_app.screens.shell import Shell  # after the font: kv rules build labels at import

        configure_logging(self.log_level)  # after Kivy's import, which leaves every library logging at DEBUG
        register_cjk_font()
        load_widgets()
        Window.clearcolor = theme.BACKGROUND
        data = self.data_path
        data.mkdir(parents=True, exist_ok=True)
        extra = {"listener_factory": self._listener_factory} if self._listener_factory else {}
        self.controller = Controller(
            self.state,
            lambda url, token: AisleClient(url, token),
            Prefs(data),
            Outbox(data),
            ProfileCache(data),
            post=post_to_ui,
            run_in_background=self.background,
            **extra,
        )
        self.shell = Shell(self.state, self.controller, self.notifier)
        self.background(tls_context)  # the certificate store loads while the sign-in screen shows
        return self.shell

    def on_pause(self) -> bool:
        """Android: keep the app alive in the background (the floor socket reconnects on resume)."""
        return True

    def on_stop(self) -> None:
        """Close the floor socket, the workers and the files."""
        if self.shell is not None:
            self.shell.close()
        self.background.close()
        controller = self.controller
        if controller is not None:
            listener, controller.listener = controller.listener, None
            if listener is not None:
                listener.stop()
            controller.outbox.close()
            controller.cache.close()


def run(log_level: int = APP_LEVEL) -> None:
    """Run the app until it is closed (Android's entry point; a desktop comes through desktop.main)."""
    app = AisleApp(log_level=log_level)
    try:
        app.run()
    except KeyboardInterrupt:  # Ctrl-C in the terminal closes the app as its window's close button does
        app.stop()
