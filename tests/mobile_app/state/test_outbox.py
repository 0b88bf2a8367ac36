"""Outbox against the real server: order, refusals dropped, no answer keeps the rest, a lost answer is not a
second write."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile_app.api.client import AisleClient
from mobile_app.api.errors import ApiError, Unauthorized, Unreachable
from mobile_app.state.outbox import Outbox
from tests.mobile_app.conftest import DemoServer, dead_url

OWNER = "test|sh.clerk1"


@pytest.fixture
def clerk(demo_server: DemoServer) -> AisleClient:
    client = AisleClient(demo_server.url)
    client.sign_in(*demo_server.clerk)
    return client


def notes(client: AisleClient, member_id: int, prefix: str) -> list[str]:
    """The member's interaction notes starting with `prefix`, oldest first."""
    return [i.note for i in reversed(client.profile(member_id).interactions) if i.note.startswith(prefix)]


def test_items_go_in_order_and_a_refused_one_is_dropped(
    demo_server: DemoServer, clerk: AisleClient, tmp_path: Path
) -> None:
    outbox, member = Outbox(tmp_path), demo_server.featured_member_id
    outbox.add(OWNER, "interaction", {"member_id": member, "channel": "call", "note": "order A"})
    outbox.add(OWNER, "feedback", {"recommendation_id": 999_999_999, "action": "accepted"})
    outbox.add(OWNER, "interaction", {"member_id": member, "channel": "call", "note": "order B"})
    outbox.add(
        "test|someone.else", "interaction", {"member_id": member, "channel": "call", "note": "order C"}
    )
    result = outbox.replay(OWNER, clerk)
    assert [item.payload.get("note") for item, _ in result.delivered] == ["order A", "order B"]
    assert [(item.kind, exc.status) for item, exc in result.dropped] == [("feedback", 404)]
    assert result.stopped_by is None and result.left == 0 and outbox.count("test|someone.else") == 1
    assert notes(clerk, member, "order ") == ["order A", "order B"]


def test_no_answer_stops_the_replay_and_keeps_everything(demo_server: DemoServer, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    first = outbox.add(OWNER, "task_done", {"ref": "follow_up:1"})
    outbox.add(OWNER, "offer", {"member_id": demo_server.featured_member_id})
    result = outbox.replay(OWNER, AisleClient(dead_url(), token="t", timeout=2))
    assert isinstance(result.stopped_by, Unreachable) and result.delivered == [] and result.left == 2
    outbox.close()
    reopened = Outbox(tmp_path)  # the phone restarted: same items, same keys
    assert [(i.kind, i.key) for i in reopened.pending(OWNER)][0] == ("task_done", first.key)
    assert reopened.count(OWNER) == 2


def test_a_refused_token_stops_the_replay_and_keeps_the_item(demo_server: DemoServer, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.add(OWNER, "interaction", {"member_id": demo_server.featured_member_id, "channel": "call"})
    result = outbox.replay(OWNER, AisleClient(demo_server.url, token="expired"))
    assert isinstance(result.stopped_by, Unauthorized) and result.left == 1


def test_a_write_whose_answer_was_lost_is_stored_once(
    demo_server: DemoServer, clerk: AisleClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox, member = Outbox(tmp_path), demo_server.featured_member_id
    outbox.add(OWNER, "interaction", {"member_id": member, "channel": "wechat", "note": "lost answer 微信"})
    forget = outbox.remove
    crashes = iter([True])

    def crash_once(item_id: int) -> None:
        if next(crashes, False):  # the phone died after the server stored it, before forgetting it
            raise RuntimeError("battery died")
        forget(item_id)

    monkeypatch.setattr(outbox, "remove", crash_once)
    with pytest.raises(RuntimeError):
        outbox.replay(OWNER, clerk)
    assert outbox.count(OWNER) == 1
    again = outbox.replay(OWNER, clerk)  # the same key again: the server answers 200 with the first one
    assert len(again.delivered) == 1 and again.left == 0
    assert notes(clerk, member, "lost answer") == ["lost answer 微信"]


def test_an_unknown_kind_is_refused_when_queued(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown outbox kind 'refund'"):
        Outbox(tmp_path).add(OWNER, "refund", {})


def test_server_errors_are_retried_later_not_dropped(
    demo_server: DemoServer, clerk: AisleClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = Outbox(tmp_path)
    outbox.add(OWNER, "task_done", {"ref": "follow_up:1"})

    def busy(*args: object, **kwargs: object) -> None:
        raise ApiError(503, "database restarting")

    monkeypatch.setattr(clerk, "task_done", busy)
    result = outbox.replay(OWNER, clerk)
    assert isinstance(result.stopped_by, ApiError) and result.left == 1 and result.dropped == []
