"""Small building blocks every screen uses: a card surface, buttons, the tier badge and progress bar."""

from __future__ import annotations

from typing import Any

from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from mobile_app.widgets import theme


class Card(BoxLayout):
    """A white rounded surface that lays its children out vertically with padding."""

    bg = ColorProperty(theme.SURFACE)
    line = ColorProperty(theme.BORDER)


class TappableCard(ButtonBehavior, Card):
    """A card that reacts to a tap (dims while pressed)."""


class AisleButton(Button):
    """A flat, rounded, touch-sized button; `kind` is primary, secondary or danger."""

    kind = StringProperty("primary")

    def colours(self, kind: str, disabled: bool) -> tuple[theme.Colour, theme.Colour]:
        """Background and text colour for a kind of button."""
        if disabled:
            return theme.BORDER, theme.MUTED
        if kind == "secondary":
            return theme.ACCENT_SOFT, theme.ACCENT
        if kind == "danger":
            return theme.BAD_SOFT, theme.BAD
        if kind == "ghost":
            return (0, 0, 0, 0), theme.ACCENT
        if kind in ("tab", "tab_active"):
            return (0, 0, 0, 0), theme.ACCENT if kind == "tab_active" else theme.MUTED
        return theme.ACCENT, theme.ON_ACCENT


class BodyLabel(Label):
    """Wrapping dark text whose height follows its content (for scrolling columns)."""


class MutedLabel(BodyLabel):
    """Secondary text: smaller and grey."""


class SectionTitle(Label):
    """The heading of a block on a screen."""


class TierBadge(Label):
    """A pill in the tier's colour with the tier's (translated) name."""

    tier = StringProperty("")
    badge_colour = ColorProperty(theme.SLATE)

    def on_tier(self, _instance: Any, value: str) -> None:
        """Recolour the pill when the tier changes."""
        self.badge_colour = theme.tier_colour(value)


class Chip(Label):
    """A small rounded tag (member tags, categories)."""


class TierProgressBar(Widget):
    """A horizontal bar filled to `value` out of `max` (tier progress, heat index)."""

    value = NumericProperty(0.0)
    max = NumericProperty(1.0)
    bar_colour = ColorProperty(theme.ACCENT)

    @property
    def fraction(self) -> float:
        """How full the bar is, 0..1."""
        return 0.0 if self.max <= 0 else min(1.0, max(0.0, self.value / self.max))


class Banner(ButtonBehavior, Label):
    """The error banner at the top of a screen; a tap dismisses it."""

    shown = BooleanProperty(False)


class TopBar(BoxLayout):
    """The title row: an optional back button, the title and a language toggle."""

    title = StringProperty("")
    back_text = StringProperty("")
    lang_text = StringProperty("")
    back_action = ObjectProperty(None, allownone=True)
    lang_action = ObjectProperty(None, allownone=True)


class KeyValue(BoxLayout):
    """One row of a fact: a grey key on the left, the value on the right."""

    key = StringProperty("")
    value = StringProperty("")
    value_colour = ColorProperty(theme.TEXT)
