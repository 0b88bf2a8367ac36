"""Logging a call, WeChat message or visit with a member, reading them back, and follow-up reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth.scope import till_store
from server.core.context import open_text, seal_text
from server.core.crypto import NOTE
from server.core.errors import Conflict, InvalidInput
from server.core.pagination import PageParams
from server.db.tables import Interaction, Staff
from server.events.repository import add_events, existing_keys
from server.interactions import repository as repo
from server.members.access import member_for
from server.staff.repository import display_name, page_with_staff_names

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Logged:
    """A stored interaction, its note in clear, who logged it, and whether this call only found it again."""

    interaction: Interaction
    note: str  # the row's note is sealed (server.core.crypto): a database dump does not show it
    staff_name: str | None
    replayed: bool = False


def log_interaction(
    session: Session,
    caller: Staff,
    member_id: int,
    *,
    channel: str,
    note: str,
    now: datetime,
    occurred_at: datetime | None = None,
    follow_up_on: date | None = None,
    store_id: int | None = None,
    idempotency_key: str | None = None,
) -> Logged:
    """Store one contact with a member the caller may open; a replayed idempotency key stores nothing new."""
    member_for(session, caller, member_id)
    if idempotency_key:
        found = repo.by_idempotency_key(session, idempotency_key)
        if found is not None:
            return _replay(session, found, member_id, idempotency_key)
    when = occurred_at or now
    if when.tzinfo is None:
        raise InvalidInput("occurred_at: give a time zone, e.g. 2024-03-01T10:15:00+08:00")
    if when > now + CLOCK_SKEW:
        raise InvalidInput(f"occurred_at: {when.isoformat()} is in the future")
    if follow_up_on is not None and follow_up_on < when.date():
        raise InvalidInput(f"follow_up_on: {follow_up_on.isoformat()} is before the interaction")
    row = Interaction(
        member_id=member_id,
        staff_id=caller.id,
        store_id=till_store(caller, store_id),
        channel=channel,
        note=seal_text(session, note.strip(), NOTE),
        occurred_at=when,
        follow_up_on=follow_up_on,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raced = repo.by_idempotency_key(session, idempotency_key)
        if raced is None:
            raise
        return _replay(session, raced, member_id, idempotency_key or "")
    return Logged(row, note.strip(), caller.display_name)


def _replay(session: Session, found: Interaction, member_id: int, key: str) -> Logged:
    if found.member_id != member_id:
        raise Conflict(f"idempotency key {key!r} was used for another member's interaction")
    note = open_text(session, found.note, NOTE)
    return Logged(found, note, display_name(session, found.staff_id), replayed=True)


def member_interactions(
    session: Session, caller: Staff, member_id: int, page: PageParams
) -> tuple[list[Logged], int]:
    """A member's interactions, newest first, with who logged each."""
    member_for(session, caller, member_id)
    order = (Interaction.occurred_at.desc(), Interaction.id.desc())
    where = Interaction.member_id == member_id
    found, total = page_with_staff_names(
        session, Interaction, where, order, limit=page.limit, offset=page.offset
    )
    return [Logged(row, open_text(session, row.note, NOTE), name) for row, name in found], total


def remind_follow_ups(session: Session, now: datetime) -> int:
    """Raise an event for the staff member who asked to follow up today (or earlier, if missed); new ones."""
    # A reminder missed for a week is stale; one marked done on the task list needs none.
    due = repo.due_follow_ups(session, now.date(), 7)
    done = existing_keys(session, [f"follow-up:{i}" for i, _, _, _ in due])
    rows = [
        {
            "member_id": member_id,
            "kind": "follow_up",
            "staff_id": staff_id,
            "text": f"follow up with the member (asked for {on.isoformat()})",
            "payload": {"interaction_id": i, "follow_up_on": on.isoformat()},
            "dedup_key": f"follow-up:{i}",
            "occurred_at": now,
        }
        for i, member_id, staff_id, on in due
        if on is not None and f"follow-up:{i}" not in done
    ]
    if rows:
        add_events(session, rows)
    return len(rows)
