"""Run by test_desktop.py in a process of its own (Kivy has one window per process): the app in the window
a desktop start opens, rendered offscreen, signed in; for each screen's action buttons, whether they show
whole (above the tab bar, inside their scrolling area, in the window) before any scrolling.

    python -m tests.mobile_app.desktop_layout URL LOGIN PASSWORD MEMBER_ID OUT_DIR

Prints one JSON object: the window's size and {"screen.button": true/false}; saves a PNG per screen.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mobile_app.desktop import parse, prepare

HANG_GUARD = 300.0  # only turns a hung sign-in or profile into a failure
# The buttons a clerk must see on opening each screen: the one thing the screen is for.
ACTIONS = {
    "signin": ("submit",),
    "identify": ("find",),
    "member": ("reassign", "ask", "log"),
    "ask": ("send",),
    "log": ("save",),
}


def shown_whole(widget: Any, floor: float) -> bool:
    """Whether all of `widget` is on screen: above `floor` (the tab bar), in the window and its scrollers."""
    from kivy.core.window import Window
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    if widget.height <= 0 or widget.opacity == 0:
        return False
    _, bottom = widget.to_window(*widget.pos)
    top = bottom + widget.height
    if bottom < floor - 0.5 or top > Window.height + 0.5:
        return False
    node = widget.parent
    while isinstance(node, Widget) and node.parent is not node:
        if isinstance(node, ScrollView):
            _, view_bottom = node.to_window(*node.pos)
            if bottom < view_bottom - 0.5 or top > view_bottom + node.height + 0.5:
                return False
        node = node.parent
    return True


def main(url: str, login: str, password: str, member_id: int, out: Path) -> dict[str, Any]:
    """Drive the app through the screens; what `shown_whole` says of each action button."""
    prepare(parse([], os.environ).window, logging.WARNING)
    from kivy.core.window import Window

    from mobile_app.offscreen import Harness

    phone = Harness(out / "phone-data")
    state = phone.state

    def wait(until: Callable[[], bool], what: str) -> None:
        if not phone.pump(until, HANG_GUARD):
            raise SystemExit(f"waited {HANG_GUARD:g} s for {what}: error {state.error!r}")
        phone.settle(4)

    seen: dict[str, bool] = {}

    def look(name: str) -> None:
        phone.save_png(out / f"{name}.png")
        floor = phone.root.ids.tabs.top
        for button in ACTIONS.get(name, ()):
            seen[f"{name}.{button}"] = shown_whole(phone.screen(name).ids[button], floor)

    signin = phone.screen("signin")
    signin.ids.server.text, signin.ids.username.text, signin.ids.password.text = url, login, password
    phone.settle(4)
    look("signin")
    signin.submit()  # type: ignore[attr-defined]
    wait(lambda: state.staff is not None and phone.current() == "floor", "signing in")
    phone.controller.set_language("en")
    wait(lambda: state.lang == "en", "English")
    look("floor")
    phone.go("identify")
    look("identify")
    phone.controller.open_member(member_id)
    phone.go("member")
    wait(lambda: state.member is not None and state.member.id == member_id and not state.busy, "the member")
    look("member")
    for name in ("ask", "log"):
        phone.go(name)
        look(name)
    phone.root.tab("tasks")
    wait(lambda: state.tasks is not None and not state.busy, "the tasks")
    look("tasks")
    phone.root.tab("manager")
    wait(lambda: bool(state.consultants) and not state.busy, "the consultants")
    look("manager")
    phone.close()
    return {"window": list(Window.size), "shown": seen}


if __name__ == "__main__":
    url, login, password, member, out = sys.argv[1:6]
    sys.stdout.write(json.dumps(main(url, login, password, int(member), Path(out))) + "\n")
