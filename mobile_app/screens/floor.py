"""The floor: members identified in the store, newest first; a pushed arrival appears without a tap."""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.properties import BooleanProperty, StringProperty

from mobile_app.api.wire import ArrivalCard
from mobile_app.screens.base import AisleScreen
from mobile_app.state import phrases
from mobile_app.widgets import theme
from mobile_app.widgets.cards import ArrivalCardView


def card_key(card: ArrivalCard) -> str:
    """A card's identity in the feed: its event, or the member and sequence number."""
    return card.event_id or f"{card.member_id}:{card.event_seq}"


class FloorScreen(AisleScreen):
    """The live feed. Only new cards are built on a push, so a card is on screen in one frame."""

    kv_file: ClassVar[str] = "floor.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"feed", "connection", "pending_writes", "staff"})

    status_text = StringProperty("")
    online = BooleanProperty(False)
    store_text = StringProperty("")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._views: dict[str, ArrivalCardView] = {}
        self._order: list[str] = []
        self._view_lang = ""
        self._alerted: ArrivalCard | None = None
        super().__init__(*args, **kwargs)

    def _on_state(self, changed: set[str]) -> None:
        # A push must alert the clerk whichever screen is showing: schedule even when off screen.
        if "new_arrival" in changed:
            self._dirty = True
            self._trigger()
        super()._on_state(changed)

    def _refresh_now(self, *args: Any) -> None:
        self._alert()
        super()._refresh_now(*args)

    def _alert(self) -> None:
        arrival = self.state.new_arrival
        if arrival is not None and arrival is not self._alerted:
            self._alerted = arrival
            self.services.notifier.arrival(arrival.name)

    def refresh(self) -> None:
        """Show the connection, then bring the card list in line with the feed."""
        staff, lang = self.state.staff, self.lang
        self.store_text = staff.store_name if staff is not None and staff.store_name else ""
        self.online = self.state.connection == "online"
        status = self.t(f"connection.{self.state.connection}", lang)
        if self.state.pending_writes:
            status += " · " + self.t("floor.pending", lang, count=self.state.pending_writes)
        self.status_text = status
        self._sync_cards(lang)

    def _sync_cards(self, lang: str) -> None:
        box = self.ids.feed
        # One card per member: a member seen again moves to the top with the newest arrival.
        feed: list[ArrivalCard] = []
        seen: set[int] = set()
        for card in self.state.feed:
            if card.member_id not in seen:
                seen.add(card.member_id)
                feed.append(card)
        keys = [card_key(c) for c in feed]
        if lang != self._view_lang:
            for view in self._views.values():
                self._label(view, view.card, lang)
            self._view_lang = lang
        fresh = [key for key in keys if key not in self._views]
        for card, key in zip(feed, keys, strict=True):
            if key in fresh:
                self._views[key] = self._build(card, lang)
        for key in [k for k in self._views if k not in set(keys)]:
            box.remove_widget(self._views.pop(key))
        current = [k for k in self._order if k in self._views]
        if keys[len(fresh) :] == current and all(k in fresh for k in keys[: len(fresh)]):
            # The usual push: new cards on top of an unchanged list; insert them, touch nothing else.
            for key in reversed(keys[: len(fresh)]):
                box.add_widget(self._views[key], index=len(box.children))
                if self._order:
                    self._views[key].flash()
        else:
            box.clear_widgets()
            for key in keys:
                box.add_widget(self._views[key])
        self._order = keys
        self.ids.empty.opacity = 0 if keys else 1

    def _build(self, card: ArrivalCard, lang: str) -> ArrivalCardView:
        view = ArrivalCardView(member_id=card.member_id, event_seq=card.event_seq, opener=self.open_member)
        self._label(view, card, lang)
        return view

    def _label(self, view: ArrivalCardView, card: ArrivalCard, lang: str) -> None:
        view.card = card
        view.name = card.name
        view.tier = card.tier
        view.tier_label = self.tier_label(card.tier, lang)
        view.talking_point = card.talking_point
        parts = [theme.short_time(card.arrived_at), self.t(f"source.{card.source}", lang)]
        if card.dormancy not in ("", "active"):  # only news worth a glance: the member had gone quiet
            since, last = card.days_since_last_purchase, card.last_purchase_on
            parts.append(phrases.dormancy(card.dormancy, since, last, lang, card.dormancy_text))
        view.meta = " · ".join(p for p in parts if p)

    def card_views(self) -> list[ArrivalCardView]:
        """The cards on screen, top to bottom."""
        return list(reversed(self.ids.feed.children))

    def open_member(self, member_id: int) -> None:
        """Open the member's 360° view."""
        self.controller.open_member(member_id)
        self.services.go("member")

    def sign_out(self) -> None:
        """Sign out (the shell goes back to the sign-in screen)."""
        self.controller.sign_out()
