"""Log a contact with the member: a call, WeChat or face to face, a note, and an optional follow-up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from kivy.properties import StringProperty

from mobile_app.screens.base import AisleScreen
from mobile_app.widgets import theme
from mobile_app.widgets.basics import MutedLabel
from mobile_app.widgets.cards import fill

CHANNELS = ("call", "wechat", "face_to_face")
QUICK_DAYS = {"log.in_1": 1, "log.in_3": 3, "log.in_7": 7}


def parse_follow_up(text: str, today: date) -> date | None:
    """The follow-up date typed as YYYY-MM-DD (empty: none); ValueError when malformed or past."""
    text = text.strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    if day < today:
        raise ValueError(f"{day.isoformat()} is in the past")
    return day


class LogScreen(AisleScreen):
    """The contact form for the member on screen; saving goes back to the member."""

    kv_file: ClassVar[str] = "log.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"member"})

    channel = StringProperty("call")
    member_name = StringProperty("")

    def refresh(self) -> None:
        """Name the member and list their last contacts."""
        member = self.state.member
        self.member_name = member.name if member is not None else ""
        rows: list[Any] = []
        for contact in (member.interactions if member is not None else [])[:3]:
            when = contact.occurred_at.date().isoformat() if contact.occurred_at else ""
            channel = self.t(f"channel.{contact.channel}", self.lang)
            text = f"{when} · {channel} · {contact.staff_name}\n{contact.note}"
            rows.append(MutedLabel(text=theme.cjk_wrap(text)))
        fill(self.ids.recent, rows)

    def set_channel(self, channel: str) -> None:
        """Choose call, WeChat or face to face."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        self.channel = channel

    def quick_follow_up(self, key: str) -> None:
        """Fill the follow-up date with today plus a few days (or clear it)."""
        days = QUICK_DAYS.get(key)
        self.ids.follow_up.text = "" if days is None else (date.today() + timedelta(days=days)).isoformat()

    def save(self) -> None:
        """Record the contact (queued when offline) and go back to the member."""
        member = self.state.member
        if member is None:
            self.state.update(error=self.t("ask.no_member", self.lang))
            return
        note = self.ids.note.text.strip()
        if not note:
            self.state.update(error=self.t("log.empty_note", self.lang))
            return
        try:
            follow_up = parse_follow_up(self.ids.follow_up.text, date.today())
        except ValueError as exc:
            self.state.update(error=self.t("log.bad_date", self.lang, detail=str(exc)))
            return
        self.controller.log_interaction(member.id, self.channel, note, follow_up)
        self.ids.note.text = ""
        self.ids.follow_up.text = ""
        self.services.back()

    def date_colour(self, text: str) -> theme.Colour:
        """Red while the typed date is not a valid future date."""
        try:
            parse_follow_up(text, date.today())
        except ValueError:
            return theme.BAD
        return theme.TEXT
