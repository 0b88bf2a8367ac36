"""Marking a task done from the phone, once however often an offline phone replays it.

`follow_up:<interaction id>` marks the follow-up done (and its reminder event read), `event:<id>`
acknowledges the event as POST /events/{id}/acknowledge does, `dormant:<member id>` records that the
dormant client was dealt with, which keeps them off the list for the next 30 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth.scope import holds
from server.clients.access import MANAGERS
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.db.tables import Interaction, Member, Staff, TaskCompletion
from server.events import repository as events_repo
from server.events.feed import acknowledge
from server.members.access import consultant_ids
from server.tasks import repository as repo

REF = re.compile(r"^(follow_up|event|dormant|client):([0-9]{1,18})$")
REF_FORMS = "follow_up:<interaction id>, event:<event id> or dormant:<member id>"


@dataclass(frozen=True)
class Done:
    """A stored completion; `replayed` when the idempotency key had already been used for it."""

    completion: TaskCompletion
    replayed: bool = False

    @property
    def kind(self) -> str:
        """follow_up, event or dormant."""
        return self.completion.ref.split(":", 1)[0]


def parse_ref(ref: str) -> tuple[str, int]:
    """The kind and id in a task ref (422 with the accepted forms otherwise)."""
    match = REF.fullmatch(ref.strip())
    if match is None:
        raise InvalidInput(f"ref: expected {REF_FORMS}, got {ref!r}")
    kind, target = match.group(1), int(match.group(2))
    if kind == "client":
        raise InvalidInput(f"ref: {ref!r} is the standing client list entry; only {REF_FORMS} can be done")
    return kind, target


def _may_handle(session: Session, caller: Staff, member: Member) -> bool:
    """The member's consultant, a manager of their home store, or an admin."""
    return caller.id in consultant_ids(session, member.id) or holds(caller, MANAGERS, member.home_store_id)


def _follow_up_done(session: Session, caller: Staff, interaction_id: int, now: datetime) -> None:
    found = session.get(Interaction, interaction_id)
    if found is None or found.follow_up_on is None:
        raise NotFound(f"follow-up {interaction_id} does not exist (no interaction with a follow-up day)")
    member = session.get(Member, found.member_id)
    if member is None:
        raise NotFound(f"follow-up {interaction_id} does not exist")
    if found.staff_id != caller.id and not _may_handle(session, caller, member):
        raise Forbidden(
            f"follow-up {interaction_id} is about member {member.id}: only who logged it, the member's "
            "consultant, a manager of their home store or an admin may mark it done"
        )
    if found.follow_up_done_at is None:
        found.follow_up_done_at = now
    # The nightly reminder about this follow-up is dealt with too.
    events_repo.acknowledge_by_key(session, f"follow-up:{interaction_id}", now)
    session.flush()


def _dormant_done(session: Session, caller: Staff, member_id: int) -> None:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    if not _may_handle(session, caller, member):
        raise Forbidden(
            f"member {member_id} is not your client: only their consultant, a manager of their home store "
            "or an admin may mark them done"
        )


def _replay(found: TaskCompletion, caller: Staff, ref: str, key: str) -> Done:
    if found.ref != ref or found.staff_id != caller.id:
        raise Conflict(f"idempotency key {key!r} was already used to mark {found.ref} done")
    return Done(found, replayed=True)


def complete(session: Session, caller: Staff, ref: str, key: str, now: datetime) -> Done:
    """Mark the task `ref` done by the caller; a replayed key returns the first result and changes nothing."""
    kind, target = parse_ref(ref)
    ref = f"{kind}:{target}"
    found = repo.completion_by_key(session, key)
    if found is not None:
        return _replay(found, caller, ref, key)
    if kind == "follow_up":
        _follow_up_done(session, caller, target, now)
    elif kind == "event":
        acknowledge(session, caller, target, now)
    else:
        _dormant_done(session, caller, target)
    row = TaskCompletion(staff_id=caller.id, ref=ref, done_at=now, idempotency_key=key)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raced = repo.completion_by_key(session, key)
        if raced is None:
            raise
        return _replay(raced, caller, ref, key)
    return Done(row)
