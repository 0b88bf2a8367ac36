"""AppState: everything the screens show, as plain attributes, and who to tell when some change.

`state.update(**fields)` sets fields and calls each subscriber once with the set of names whose value
actually changed. Only the UI thread updates it (the controller posts its results there), so a
subscriber can touch widgets or, better, fire a Kivy trigger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from mobile_app.api.wire import (
    ArrivalCard,
    ChatTurn,
    ClientRow,
    Offer,
    Profile,
    StaffSummary,
    Suggestion,
    TalkingPoint,
    TaskList,
)

logger = logging.getLogger(__name__)

Listener = Callable[[set[str]], None]
FEED_SIZE = 50  # arrivals kept in the floor feed, newest first


@dataclass(eq=False)
class AppState:
    """The app's state; change it with `update`, watch it with `subscribe`."""

    server_url: str = ""
    username: str = ""
    lang: str = "en"
    # Who is signed in (None: signed out).
    staff: StaffSummary | None = None
    # The live floor.
    connection: str = "offline"  # "offline" | "connecting" | "online"
    last_seq: int = 0
    feed: list[ArrivalCard] = field(default_factory=list)
    new_arrival: ArrivalCard | None = None
    # The member on screen.
    member: Profile | None = None
    member_from_cache: bool = False
    # Look-ups (phone, card, QR) that found a member: the identify screen opens the member on the next one.
    identified: int = 0
    recommendations: list[Suggestion] = field(default_factory=list)
    talking_points: list[TalkingPoint] = field(default_factory=list)
    offer: Offer | None = None
    offer_issued: dict[str, Any] | None = None
    chat: list[ChatTurn] = field(default_factory=list)
    chat_session_id: str | None = None
    # Work lists.
    tasks: TaskList | None = None
    consultants: list[StaffSummary] = field(default_factory=list)
    clients_by_consultant: dict[int, list[ClientRow]] = field(default_factory=dict)
    # Progress and messages.
    busy: bool = False
    error: str | None = None
    pending_writes: int = 0

    def __post_init__(self) -> None:
        self._listeners: list[Listener] = []
        self._names = frozenset(f.name for f in fields(self))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(changed_names)` after each update that changes something; returns unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def update(self, **changes: Any) -> set[str]:
        """Set fields and notify subscribers of those whose value changed; returns their names."""
        unknown = set(changes) - self._names
        if unknown:
            raise AttributeError(f"AppState has no field {', '.join(sorted(unknown))}")
        changed = set()
        for name, value in changes.items():
            old = getattr(self, name)
            if old is not value and old != value:
                setattr(self, name, value)
                changed.add(name)
        if changed:
            for listener in list(self._listeners):
                try:
                    listener(changed)
                except Exception:  # one broken screen must not stop the others hearing the news
                    logger.exception("state listener failed for %s", sorted(changed))
        return changed
