"""What every screen shares: the services it talks to, translated text, and refresh on state change.

State changes can be announced from any thread. A screen never touches its widgets from the
announcement: it fires a `Clock.create_trigger`, and `refresh()` runs on the UI thread at the next frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile_app.platform.notify import Notifier
from mobile_app.state import phrases
from mobile_app.state.controller import Controller
from mobile_app.state.i18n import tr
from mobile_app.state.store import AppState


@dataclass
class Services:
    """What a screen may use: the state it shows, the controller it asks, and navigation."""

    state: AppState
    controller: Controller
    notifier: Notifier
    go: Callable[[str], None]
    back: Callable[[], object]


class AisleScreen(Screen):
    """A screen that redraws itself from `AppState` whenever a field it watches changes."""

    # State fields whose change redraws the screen; "lang" and "error" always do.
    watches: ClassVar[frozenset[str]] = frozenset()
    kv_file: ClassVar[str] = ""

    lang = StringProperty("en")
    error_text = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, services: Services, **kwargs: Any) -> None:
        self.services = services
        self.state = services.state
        self.controller = services.controller
        self._dirty = True
        self._trigger = Clock.create_trigger(self._refresh_now, 0)
        super().__init__(**kwargs)
        self.lang = self.state.lang
        self._unsubscribe = self.state.subscribe(self._on_state)

    @classmethod
    def load_kv(cls) -> None:
        """Load this screen's .kv rules (once per process, before the first instance)."""
        path = str(Path(__file__).with_name(cls.kv_file))
        if cls.kv_file and path not in Builder.files:
            Builder.load_file(path)

    def t(self, key: str, lang: str, **fmt: Any) -> str:
        """A UI string in `lang`; kv passes root.lang so the text follows a language switch."""
        return tr(key, lang, **fmt)

    def tier_label(self, tier: str, lang: str) -> str:
        """A tier's name in `lang`; a chain's own tier names (no translation) show as they are."""
        return phrases.tier_name(tier, lang)

    def _on_state(self, changed: set[str]) -> None:
        # Any thread: only note and schedule, never touch widgets here.
        if changed & (self.watches | {"lang", "error", "busy"}):
            self._dirty = True
            self._trigger()

    def _refresh_now(self, *_: Any) -> None:
        # Off-screen screens catch up when shown (on_pre_enter): a push or a language switch then only
        # costs the screen on display.
        if not self.is_current:
            return
        self.lang = self.state.lang
        self.error_text = self.state.error or ""
        self.busy = bool(self.state.busy)
        if self._dirty:
            self._dirty = False
            self.refresh()

    @property
    def is_current(self) -> bool:
        """Whether this screen is the one on display."""
        return self.manager is not None and self.manager.current == self.name

    def on_pre_enter(self, *_: Any) -> None:
        """Redraw from state as the screen comes in."""
        self._dirty = False
        self.lang = self.state.lang
        self.error_text = self.state.error or ""
        self.busy = bool(self.state.busy)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the screen's dynamic parts from state (UI thread)."""

    def dismiss_error(self) -> None:
        """Hide the error banner (a tap on it)."""
        self.state.update(error=None)

    def toggle_language(self) -> None:
        """Switch between Chinese and English."""
        self.controller.set_language("zh" if self.state.lang == "en" else "en")

    def other_language_label(self, lang: str) -> str:
        """What the language button says: the language a tap switches to."""
        return "EN" if lang == "zh" else "中文"

    def close(self) -> None:
        """Stop listening to state (the app is closing)."""
        self._unsubscribe()
