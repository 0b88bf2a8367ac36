"""The app's frame: the screens, the bottom tab bar, the back history and the switch on sign-in/out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from mobile_app.platform.notify import Notifier
from mobile_app.screens.ask import AskScreen
from mobile_app.screens.base import AisleScreen, Services
from mobile_app.screens.floor import FloorScreen
from mobile_app.screens.identify import IdentifyScreen
from mobile_app.screens.log import LogScreen
from mobile_app.screens.manager import ManagerScreen
from mobile_app.screens.member import MemberScreen
from mobile_app.screens.signin import SignInScreen
from mobile_app.screens.tasks import TasksScreen
from mobile_app.state.controller import Controller
from mobile_app.state.i18n import tr
from mobile_app.state.store import AppState

SCREENS: dict[str, type[AisleScreen]] = {
    "signin": SignInScreen,
    "floor": FloorScreen,
    "identify": IdentifyScreen,
    "member": MemberScreen,
    "ask": AskScreen,
    "tasks": TasksScreen,
    "log": LogScreen,
    "manager": ManagerScreen,
}
# Built at start: the floor must be there to ring for the first push. The rest are built when first shown,
# which keeps start-up (and a language switch) from laying out screens nobody has opened.
EAGER = ("signin", "floor")
ESCAPE_KEYS = (27, 1001)  # Escape on a desktop, the back key on Android


class Shell(BoxLayout):
    """The root widget: a ScreenManager above a tab bar, following sign-in and the back key."""

    lang = StringProperty("en")
    signed_in = BooleanProperty(False)
    is_manager = BooleanProperty(False)
    current = StringProperty("signin")

    def __init__(self, state: AppState, controller: Controller, notifier: Notifier, **kwargs: Any) -> None:
        path = str(Path(__file__).with_name("shell.kv"))
        if path not in Builder.files:
            Builder.load_file(path)
        self.state = state
        self.history: list[str] = []
        super().__init__(**kwargs)
        self.services = Services(state, controller, notifier, go=self.go, back=self.back)
        self.manager: ScreenManager = self.ids.screens
        self.manager.transition = NoTransition()  # instant: a clerk is mid-conversation
        self.screens: dict[str, AisleScreen] = {}
        for name in EAGER:
            self.screen(name)
        self.manager.current = "signin"
        # Only managers get the team tab: it is taken out of the bar (kept here) for everyone else.
        self._manager_tab = self.ids.manager_tab.__self__
        self._trigger = Clock.create_trigger(self._follow_state, 0)
        self._unsubscribe = state.subscribe(self._on_state)
        Window.bind(on_keyboard=self._on_key)
        self._follow_state()

    def screen(self, name: str) -> AisleScreen:
        """The screen called `name`, built (with its .kv rules) the first time it is asked for."""
        if name not in self.screens:
            cls = SCREENS.get(name)
            if cls is None:
                raise ValueError(f"no screen named {name!r}")
            cls.load_kv()
            self.screens[name] = cls(self.services, name=name)
            self.manager.add_widget(self.screens[name])
        return self.screens[name]

    def t(self, key: str, lang: str) -> str:
        """A UI string in `lang` (kv passes root.lang so it follows a switch)."""
        return tr(key, lang)

    def _on_state(self, changed: set[str]) -> None:
        if changed & {"staff", "lang"}:
            self._trigger()

    def _follow_state(self, *_: Any) -> None:
        staff = self.state.staff
        self.lang = self.state.lang
        self.is_manager = bool(staff is not None and staff.is_manager)
        tabs, tab = self.ids.tabs, self._manager_tab
        if self.is_manager and tab.parent is None:
            tabs.add_widget(tab, index=0)
        elif not self.is_manager and tab.parent is not None:
            tabs.remove_widget(tab)
        if staff is not None and not self.signed_in:
            self.signed_in = True
            self.history.clear()
            self._show("floor")
        elif staff is None and self.signed_in:
            self.signed_in = False
            self.history.clear()
            self._show("signin")

    def _show(self, name: str) -> None:
        self.screen(name)
        self.manager.current = name
        self.current = name

    def go(self, name: str) -> None:
        """Show screen `name`, remembering where we were for the back button."""
        self.screen(name)
        if name != self.manager.current:
            self.history.append(self.manager.current)
            self._show(name)

    def tab(self, name: str) -> None:
        """Jump to a tab of the bottom bar (the history starts again there)."""
        self.history.clear()
        self._show(name)

    def back(self) -> bool:
        """Go back one screen; False when there is nowhere to go back to."""
        while self.history:
            name = self.history.pop()
            if name != "signin" or not self.signed_in:
                self._show(name)
                return True
        if self.signed_in and self.manager.current != "floor":
            self._show("floor")
            return True
        return False

    def _on_key(self, _window: Any, key: int, *_: Any) -> bool:
        # True keeps Android from closing the app when there is a screen to go back to.
        return key in ESCAPE_KEYS and self.back()

    def close(self) -> None:
        """Stop listening to state and keys (the app is closing)."""
        self._unsubscribe()
        Window.unbind(on_keyboard=self._on_key)
        for screen in self.screens.values():
            screen.close()
