"""A chat bubble: the clerk's question on the right, the recommender's answer and items on the left."""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile_app.widgets import theme

MAX_TEXT_WIDTH = 266  # dp: a bubble leaves a margin on the other side, as chat apps do


def natural_width(text: str, font_size: float) -> float:
    """The width `text` takes on one line at `font_size` px (its longest line when it has several)."""
    widest = 0.0
    for line in text.splitlines() or [""]:
        label = CoreLabel(text=line, font_size=font_size)
        label.refresh()
        widest = max(widest, label.content_width)
    return widest


class ChatBubble(BoxLayout):
    """One turn of the conversation; `mine` puts it on the right in the accent colour."""

    text = StringProperty("")
    detail = StringProperty("")
    mine = BooleanProperty(False)
    bubble_colour = ColorProperty(theme.BOT_BUBBLE)
    text_colour = ColorProperty(theme.TEXT)
    text_width = NumericProperty(dp(MAX_TEXT_WIDTH))

    def on_mine(self, _instance: object, mine: bool) -> None:
        """The clerk's own words are accent-coloured, the recommender's white."""
        self.bubble_colour = theme.USER_BUBBLE if mine else theme.BOT_BUBBLE
        self.text_colour = theme.ON_ACCENT if mine else theme.TEXT

    def on_text(self, *_: object) -> None:
        """Shrink the bubble to a short text; a long one wraps at the maximum width."""
        self._fit()

    def on_detail(self, *_: object) -> None:
        """As on_text, for the item lines."""
        self._fit()

    def _fit(self) -> None:
        wanted = max(
            natural_width(self.text, sp(15)), natural_width(self.detail, sp(13)) if self.detail else 0
        )
        self.text_width = min(dp(MAX_TEXT_WIDTH), wanted + dp(2))
