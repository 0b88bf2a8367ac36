"""Drive the app without a display: the screen tests, the start-up benchmark and the README screenshots.

Call `configure()` before anything imports Kivy's window: it picks SDL's offscreen driver, a phone-sized
window (1080x2340 at density 3 by default) and a private KIVY_HOME, so runs leave no trace and need no X.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobile_app.main import AisleApp
    from mobile_app.screens.base import AisleScreen

PHONE = (1080, 2340, 3.0)  # a common 6.5" phone: 360x780 dp


def configure(width: int = PHONE[0], height: int = PHONE[1], density: float = PHONE[2]) -> None:
    """Set Kivy up for offscreen rendering; must run before kivy.core.window is imported."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy leaves sys.stderr and logging alone
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="aisle-kivy-"))
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ["KIVY_METRICS_DENSITY"] = str(density)
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


class Harness:
    """One app, built and attached to the (offscreen) window, with helpers to wait and to take PNGs."""

    def __init__(self, data_dir: Path, **app_kwargs: Any) -> None:
        from kivy.base import EventLoop
        from kivy.core.window import Window

        from mobile_app.main import AisleApp

        self.window = Window
        self.loop = EventLoop
        self.app: AisleApp = AisleApp(data_dir=data_dir, **app_kwargs)
        self.root = self.app.build()
        self.app.root = self.root
        Window.add_widget(self.root)
        EventLoop.ensure_window()
        self.frame()

    @property
    def state(self) -> Any:
        """The app's AppState."""
        return self.app.state

    @property
    def controller(self) -> Any:
        """The app's Controller."""
        return self.app.controller

    def frame(self) -> None:
        """Run one frame: the clock's callbacks, layout and drawing."""
        self.loop.idle()

    def pump(self, until: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Run frames until `until()` holds (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.frame()
            if until():
                return True
        return until()

    def settle(self, frames: int = 3) -> None:
        """Run a few frames so layouts that depend on text sizes reach their final shape."""
        for _ in range(frames):
            self.frame()

    def screen(self, name: str) -> AisleScreen:
        """The screen called `name`."""
        screen: AisleScreen = self.root.screen(name)
        return screen

    def current(self) -> str:
        """The name of the screen on display."""
        return str(self.root.manager.current)

    def go(self, name: str) -> AisleScreen:
        """Show screen `name` (as the app's own navigation does) and lay it out."""
        self.root.go(name)
        self.settle()
        return self.screen(name)

    def save_png(self, path: Path) -> Path:
        """Write what the window shows to `path` (the whole app: screen and tab bar)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.settle()
        self.root.export_to_png(str(path))
        return path

    def close(self) -> None:
        """Stop the app's network work and detach it from the window."""
        self.app.on_stop()
        self.window.remove_widget(self.root)
