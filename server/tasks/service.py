"""A consultant's task list: their clients, dormant clients to reach, alerts to read, follow-ups due.

Each task carries a `ref` ("dormant:42", "event:7", "follow_up:12") that POST /tasks/done takes back.
A dormant client is one the profile calls dormant (no purchase for longer than its threshold) whom
nobody has contacted, and nobody has marked done, in the last `QUIET_DAYS` days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.clients import access
from server.clients.service import Client, clients_of
from server.core.context import open_text
from server.core.crypto import NOTE
from server.core.words import counted
from server.db.tables import Staff
from server.loyalty.config import load_config
from server.tasks import repository as repo

QUIET_DAYS = 30  # a dormant client contacted (or marked done) this recently is not a task
FOLLOW_UP_AHEAD_DAYS = 7  # follow-ups due within a week show up early
NOTE_CHARS = 80
CHANNELS = {
    "call": "call",
    "wechat": "WeChat message",
    "face_to_face": "face-to-face talk",
    "sms": "text message",
    "email": "e-mail",
}


@dataclass(frozen=True)
class Task:
    """One line of the task list."""

    kind: str
    member_id: int
    member_name: str
    tier: str
    reason: str
    due_on: date | None
    ref: str
    # The reason as data (see TaskRead): a phone words it in its own language.
    position: str | None = None
    days_since_last_purchase: int | None = None
    dormant: bool = False
    days_since_contact: int | None = None
    channel: str | None = None
    contact_on: date | None = None
    contact_by: str | None = None
    note: str | None = None
    due_in_days: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskLists:
    """The four lists the phone's task screen shows."""

    staff_id: int
    my_clients: list[Task] = field(default_factory=list)
    dormant: list[Task] = field(default_factory=list)
    alerts: list[Task] = field(default_factory=list)
    follow_ups: list[Task] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        """Tasks waiting to be done (the client list itself is not a task)."""
        return len(self.dormant) + len(self.alerts) + len(self.follow_ups)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _client_task(c: Client) -> Task:
    since = c.days_since_last_purchase
    if since is None:
        bought = "no purchase yet"
    elif c.dormant:
        bought = f"dormant, no purchase for {counted(since, 'day')}"
    else:
        bought = f"last purchase {counted(since, 'day')} ago"
    reason = f"{c.row.position.capitalize()} client; {bought}"
    return Task(
        "client",
        c.row.member_id,
        c.row.name,
        c.tier,
        reason,
        None,
        f"client:{c.row.member_id}",
        position=c.row.position,
        days_since_last_purchase=since,
        dormant=c.dormant,
    )


def _dormant_tasks(session: Session, clients: list[Client], now: datetime) -> list[Task]:
    dormant = [c for c in clients if c.dormant]
    contacts = repo.last_contacts(session, [c.row.member_id for c in dormant], now)
    quiet_since = now - timedelta(days=QUIET_DAYS)
    done = repo.done_since(session, [f"dormant:{c.row.member_id}" for c in dormant], quiet_since)
    out = []
    for c in sorted(dormant, key=lambda c: (-(c.days_since_last_purchase or 0), c.row.member_id)):
        ref = f"dormant:{c.row.member_id}"
        contact = contacts.get(c.row.member_id)
        if ref in done or (contact is not None and contact >= quiet_since):
            continue
        ago = None if contact is None else (now.date() - contact.date()).days
        last = "no contact on record" if ago is None else f"last contact {counted(ago, 'day')} ago"
        quiet = c.days_since_last_purchase or 0
        reason = f"No purchase for {counted(quiet, 'day')}; {last}"
        out.append(
            Task(
                "dormant",
                c.row.member_id,
                c.row.name,
                c.tier,
                reason,
                now.date(),
                ref,
                days_since_last_purchase=quiet,
                dormant=True,
                days_since_contact=ago,
            )
        )
    return out


def _alerts(session: Session, staff_id: int, lowest: str) -> list[Task]:
    return [
        Task(
            e.kind,
            e.member_id,
            name,
            tier or lowest,
            _sentence(e.text),
            e.occurred_at.date(),
            f"event:{e.id}",
            data=dict(e.payload or {}),
        )
        for e, name, tier in repo.open_alerts(session, staff_id)
    ]


def _when(due: date, today: date) -> str:
    if due < today:
        return f"overdue by {counted((today - due).days, 'day')}"
    if due == today:
        return "due today"
    return f"due in {counted((due - today).days, 'day')}"


def _follow_ups(session: Session, staff_id: int, today: date, lowest: str) -> list[Task]:
    out = []
    for i, name, tier, author in repo.open_follow_ups(
        session, staff_id, today + timedelta(FOLLOW_UP_AHEAD_DAYS)
    ):
        due = i.follow_up_on or today
        what = CHANNELS.get(i.channel, i.channel)
        reason = f"Follow-up to a {what} on {i.occurred_at.date().isoformat()}"
        by = author if i.staff_id != staff_id and author else None
        if by:
            reason += f" by {by}"
        note = " ".join(open_text(session, i.note, NOTE).split())
        note = f"{note[:NOTE_CHARS]}{'…' if len(note) > NOTE_CHARS else ''}"
        if note:
            reason += f": {note}"
        reason += f" ({_when(due, today)})"
        out.append(
            Task(
                "follow_up",
                i.member_id,
                name,
                tier or lowest,
                reason,
                due,
                f"follow_up:{i.id}",
                channel=i.channel,
                contact_on=i.occurred_at.date(),
                contact_by=by,
                note=note,
                due_in_days=(due - today).days,
            )
        )
    return out


def task_lists(session: Session, staff_id: int, now: datetime) -> TaskLists:
    """Everything on one staff member's task list as of `now` (the business clock)."""
    clients, _ = clients_of(session, staff_id, now)
    lowest = load_config(session).ladder.lowest
    return TaskLists(
        staff_id=staff_id,
        my_clients=[_client_task(c) for c in clients],
        dormant=_dormant_tasks(session, clients, now),
        alerts=_alerts(session, staff_id, lowest),
        follow_ups=_follow_ups(session, staff_id, now.date(), lowest),
    )


def tasks_for(session: Session, caller: Staff, staff_id: int | None, now: datetime) -> TaskLists:
    """The caller's task list, or another's (a manager of their store, or an admin)."""
    target = caller if staff_id is None else access.staff(session, staff_id)
    access.require_staff_view(caller, target)
    return task_lists(session, target.id, now)


def open_task_count(session: Session, staff_id: int, now: datetime) -> int:
    """How many dormant clients, alerts and follow-ups wait on the staff member's task list."""
    return task_lists(session, staff_id, now).open_count
