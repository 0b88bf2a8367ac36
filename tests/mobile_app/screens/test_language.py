"""Chinese and English: switching relabels every screen, and Chinese draws as glyphs, not boxes."""

from __future__ import annotations

from pathlib import Path

import kivy
from kivy.core.text import Label as CoreLabel

from mobile_app.fonts import registered_font
from mobile_app.state.i18n import EN, ZH
from tests.mobile_app.screens.conftest import Phone

ROBOTO = Path(kivy.__file__).parent / "data" / "fonts" / "Roboto-Regular.ttf"


def _pixels(text: str, font: str) -> bytes:
    label = CoreLabel(text=text, font_size=40, font_name=font)
    label.refresh()
    return bytes(label.texture.pixels)


def test_two_different_chinese_characters_look_different(phone: Phone) -> None:
    # A font without CJK draws every Chinese character as the same box: that is the failure to catch.
    assert _pixels("王", str(ROBOTO)) == _pixels("芳", str(ROBOTO))
    assert _pixels("王", "Roboto") != _pixels("芳", "Roboto")
    assert registered_font() is not None


def test_the_language_button_relabels_the_tabs_and_screens(clerk: Phone, shots: Path) -> None:
    phone = clerk
    tabs = [w.text for w in reversed(phone.root.ids.tabs.children)]
    assert tabs == [EN["tab.floor"], EN["tab.identify"], EN["tab.tasks"]]
    floor = phone.screen("floor")
    floor.toggle_language()
    phone.wait(lambda: phone.state.lang == "zh", "the app in Chinese")
    phone.settle()
    tabs = [w.text for w in reversed(phone.root.ids.tabs.children)]
    assert tabs == [ZH["tab.floor"], ZH["tab.identify"], ZH["tab.tasks"]]
    assert phone.go("identify").ids.find.text == ZH["identify.find"]
    assert phone.go("tasks").children[0].children[-1].title == ZH["tasks.title"]
    phone.save_png(shots / "tasks_zh.png")
    phone.screen("tasks").toggle_language()
    phone.wait(lambda: phone.state.lang == "en", "the app in English")
    phone.settle()
    # A screen off display catches up with the language when it is shown again.
    assert phone.go("identify").ids.find.text == EN["identify.find"]


def test_every_ui_key_is_in_both_languages() -> None:
    assert EN.keys() == ZH.keys()
