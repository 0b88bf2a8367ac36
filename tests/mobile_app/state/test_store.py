"""AppState: subscribers hear about exactly the fields that changed."""

from __future__ import annotations

import pytest

from mobile_app.state.store import AppState


def test_subscribers_get_the_names_of_changed_fields_only() -> None:
    state = AppState()
    heard: list[set[str]] = []
    unsubscribe = state.subscribe(heard.append)
    assert state.update(lang="zh", busy=False, error="oops") == {"lang", "error"}  # busy was already False
    state.update(lang="zh")  # nothing changed: nobody is told
    state.update(feed=[])
    assert heard == [{"lang", "error"}]
    unsubscribe()
    state.update(error=None)
    assert heard == [{"lang", "error"}] and state.error is None


def test_an_unknown_field_is_refused_and_nothing_changes() -> None:
    state = AppState()
    with pytest.raises(AttributeError, match="no field conection"):
        state.update(connection="online", conection="online")
    assert state.connection == "offline"


def test_a_failing_subscriber_does_not_silence_the_others() -> None:
    state = AppState()
    heard: list[set[str]] = []

    def broken(changed: set[str]) -> None:
        raise RuntimeError("a screen bug")

    state.subscribe(broken)
    state.subscribe(heard.append)
    state.update(pending_writes=2)
    assert heard == [{"pending_writes"}]


def test_each_state_has_its_own_lists() -> None:
    first, second = AppState(), AppState()
    first.feed.append(object())  # type: ignore[arg-type]
    assert second.feed == [] and first.clients_by_consultant is not second.clients_by_consultant
