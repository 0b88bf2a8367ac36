"""Kivy widgets shared by the screens; `load_widgets()` registers their .kv rules once."""

from __future__ import annotations

from pathlib import Path

_loaded = False


def load_widgets() -> None:
    """Import the widget classes (so kv can name them) and load their .kv rules, once per process."""
    global _loaded
    if _loaded:
        return
    from kivy.lang import Builder

    from mobile_app.widgets import basics, cards, chat  # noqa: F401  (registers the classes)

    for name in ("widgets.kv", "cards.kv"):  # the building blocks first: the cards are made of them
        Builder.load_file(str(Path(__file__).with_name(name)))
    _loaded = True
