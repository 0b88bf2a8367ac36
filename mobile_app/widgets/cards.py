"""The cards a clerk taps: a member's arrival on the floor, a task or client row, a suggestion."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from mobile_app.widgets import theme
from mobile_app.widgets.basics import Card, TappableCard


class ArrivalCardView(TappableCard):
    """One member on the floor: name, tier badge, one talking point, when and how they were seen."""

    member_id = NumericProperty(0)
    event_seq = NumericProperty(0)
    name = StringProperty("")
    tier = StringProperty("")
    tier_label = StringProperty("")
    talking_point = StringProperty("")
    meta = StringProperty("")
    card = ObjectProperty(None, allownone=True)  # the ArrivalCard shown
    opener = ObjectProperty(None, allownone=True)

    def on_release(self) -> None:
        """Open the member's 360° view."""
        if self.opener is not None:
            self.opener(self.member_id)

    def flash(self) -> None:
        """Draw the eye to a card that just arrived by push: a short accent flash of its border."""
        self.line = theme.ACCENT
        Animation(line=theme.BORDER, duration=1.2, t="out_quad").start(self)


class MemberRow(TappableCard):
    """A row in a list of members (tasks, a consultant's clients): name, tier, why, when."""

    member_id = NumericProperty(0)
    name = StringProperty("")
    tier = StringProperty("")
    tier_label = StringProperty("")
    reason = StringProperty("")
    due = StringProperty("")
    done_text = StringProperty("")
    task = ObjectProperty(None, allownone=True)  # the Task shown, when this row is one
    opener = ObjectProperty(None, allownone=True)
    finisher = ObjectProperty(None, allownone=True)

    def on_release(self) -> None:
        """Open the member."""
        if self.opener is not None:
            self.opener(self.member_id)

    def finish(self) -> None:
        """Mark the row's task done."""
        if self.finisher is not None and self.task is not None:
            self.finisher(self.task)


class SuggestionView(Card):
    """A recommendation: the product, the reason to say, and accept / decline / sold buttons."""

    recommendation_id = NumericProperty(0)
    title = StringProperty("")
    reason = StringProperty("")
    price = StringProperty("")
    verdict = StringProperty("")
    decided = BooleanProperty(False)
    accept_text = StringProperty("")
    decline_text = StringProperty("")
    sold_text = StringProperty("")
    actor = ObjectProperty(None, allownone=True)

    def act(self, action: str) -> None:
        """Send the clerk's verdict once (buttons turn off, the verdict shows)."""
        if self.decided or self.actor is None:
            return
        self.actor(self.recommendation_id, action)


class ConsultantRow(Card):
    """A consultant in the manager's list: counts, their clients, and assign-as buttons."""

    staff_id = NumericProperty(0)
    name = StringProperty("")
    counts = StringProperty("")
    selected = BooleanProperty(False)
    clients_text = StringProperty("")
    primary_text = StringProperty("")
    secondary_text = StringProperty("")
    chooser = ObjectProperty(None, allownone=True)
    assigner = ObjectProperty(None, allownone=True)

    def choose(self) -> None:
        """Show (or hide) this consultant's clients."""
        if self.chooser is not None:
            self.chooser(self.staff_id)

    def assign(self, position: str) -> None:
        """Make this consultant the member's primary or secondary consultant."""
        if self.assigner is not None:
            self.assigner(self.staff_id, position)


class ButtonRow(GridLayout):
    """Equal-width buttons side by side (a segmented choice)."""

    rows = NumericProperty(1)


class Keypad(GridLayout):
    """A phone-number keypad: digits, delete and clear, writing into `target.text`."""

    target = ObjectProperty(None, allownone=True)

    def press(self, key: str) -> None:
        """Apply one key to the target field."""
        if self.target is None:
            return
        text: str = self.target.text
        if key == "del":
            self.target.text = text[:-1]
        elif key == "clear":
            self.target.text = ""
        elif len(text) < 20:  # longer than any phone number: a stuck finger, not a number
            self.target.text = text + key


def fill(box: BoxLayout, widgets: list[Any]) -> None:
    """Replace a box's children with `widgets`, in order."""
    box.clear_widgets()
    for widget in widgets:
        box.add_widget(widget)
