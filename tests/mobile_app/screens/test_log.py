"""Log a contact: channel, note and follow-up date reach the member's profile on the server."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from mobile_app.screens.log import LogScreen, parse_follow_up
from tests.mobile_app.screens.conftest import Phone


def test_parse_follow_up() -> None:
    today = date(2026, 3, 1)
    assert parse_follow_up("", today) is None
    assert parse_follow_up(" 2026-03-04 ", today) == date(2026, 3, 4)
    with pytest.raises(ValueError, match="in the past"):
        parse_follow_up("2026-02-28", today)
    with pytest.raises(ValueError):
        parse_follow_up("next week", today)


def test_a_wechat_note_with_a_follow_up_is_saved(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    phone.open_member(server.featured_member_id)
    screen: LogScreen = phone.go("log")  # type: ignore[assignment]
    assert screen.member_name == "王芳"
    screen.set_channel("wechat")
    note = "Sent photos of the new tea sets; she will come on Saturday"
    screen.ids.note.text = note
    screen.quick_follow_up("log.in_3")
    follow_up = date.today() + timedelta(days=3)
    assert screen.ids.follow_up.text == follow_up.isoformat()
    phone.save_png(shots / "log.png")
    screen.save()
    assert phone.current() == "member"
    phone.wait(lambda: phone.state.pending_writes == 0 and not phone.state.busy, "the visit note sent")
    profile = phone.get(f"members/{server.featured_member_id}/profile", server.clerk)
    saved = [i for i in profile["interactions"] if i["note"] == note]
    assert len(saved) == 1
    assert saved[0]["channel"] == "wechat" and saved[0]["follow_up_on"] == follow_up.isoformat()


def test_a_bad_date_or_an_empty_note_stays_on_the_form(clerk: Phone) -> None:
    phone = clerk
    phone.open_member(phone.server.featured_member_id)
    screen: LogScreen = phone.go("log")  # type: ignore[assignment]
    screen.ids.note.text = ""
    screen.save()
    assert phone.state.error == "Write a short note about the contact." and phone.current() == "log"
    screen.ids.note.text = "Called about her order"
    screen.ids.follow_up.text = "31/12/2026"
    screen.save()
    assert phone.state.error is not None and phone.state.error.startswith("Follow-up date:")
    assert phone.current() == "log"
    phone.state.update(error=None)
    phone.root.back()
