"""Assigning VIP consultants to members, and the client lists of consultants and stores.

A member has at most one active primary and one active secondary consultant. A change ends the old
assignment (its row stays, with `ended_at`) and starts a new one, so the history is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.assignments import repository as repo
from server.auth.scope import describe, holds
from server.clients import access
from server.clients.service import Client, clients_of
from server.core.errors import Conflict, Forbidden, NotFound
from server.core.pagination import PageParams
from server.db.tables import ConsultantAssignment, Member, Staff, Store
from server.members.access import member_for
from server.tasks.service import open_task_count

OTHER = {"primary": "secondary", "secondary": "primary"}


@dataclass(frozen=True)
class Assigned:
    """An assignment with its consultant's name; `created` is False when nothing had to change."""

    assignment: ConsultantAssignment
    staff_name: str
    created: bool = False


def member_consultants(session: Session, caller: Staff, member_id: int) -> list[Assigned]:
    """The member's active consultants, primary first (whoever may open the member)."""
    member_for(session, caller, member_id)
    return [Assigned(a, name) for a, name in repo.active(session, member_id)]


def _still_eligible(session: Session, staff_id: int, target: Member) -> bool:
    person = session.get(Staff, staff_id)
    return (
        person is not None and person.active and holds(person, access.CONSULTANT_ROLES, target.home_store_id)
    )


def assign(
    session: Session, caller: Staff, member_id: int, position: str, staff_id: int, now: datetime
) -> Assigned:
    """Make `staff_id` the member's consultant in `position`; the same person again changes nothing.

    Moving the member's other consultant into this position swaps the two (the one displaced takes the
    position left free, if they may still consult), so nobody is ever both primary and secondary.
    """
    target = access.member(session, member_id)
    access.require_member_manager(caller, target)
    person = access.check_consultant(session, staff_id, target)
    current = repo.active_at(session, member_id, position)
    if current is not None and current.staff_id == person.id:
        return Assigned(current, person.display_name)
    other = repo.active_at(session, member_id, OTHER[position])
    moving = other is not None and other.staff_id == person.id
    swap_in = current.staff_id if current is not None and moving else None
    try:
        with session.begin_nested():
            for ending in (current, other if moving else None):
                if ending is not None:
                    ending.ended_at = now
            session.flush()  # free the positions before the partial unique index sees the new rows
            row = _start(member_id, person.id, position, caller, now)
            session.add(row)
            if swap_in is not None and _still_eligible(session, swap_in, target):
                session.add(_start(member_id, swap_in, OTHER[position], caller, now))
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"the consultants of member {member_id} were changed by someone else at the same time; "
            "reload them and try again"
        ) from exc
    return Assigned(row, person.display_name, created=True)


def _start(
    member_id: int, staff_id: int, position: str, caller: Staff, now: datetime
) -> ConsultantAssignment:
    return ConsultantAssignment(
        member_id=member_id, staff_id=staff_id, position=position, assigned_by_id=caller.id, assigned_at=now
    )


def unassign(session: Session, caller: Staff, member_id: int, position: str, now: datetime) -> Assigned:
    """End the member's assignment in `position` (404 when there is none); the row stays as history."""
    target = access.member(session, member_id)
    access.require_member_manager(caller, target)
    current = repo.active_at(session, member_id, position)
    if current is None:
        raise NotFound(f"member {member_id} has no {position} consultant")
    current.ended_at = now
    session.flush()
    person = session.get(Staff, current.staff_id)
    return Assigned(current, person.display_name if person else "")


def staff_clients(
    session: Session, caller: Staff, staff_id: int, now: datetime, page: PageParams
) -> tuple[list[Client], int]:
    """One page of a consultant's clients (the consultant, a manager of their store, or an admin)."""
    access.require_staff_view(caller, access.staff(session, staff_id))
    return clients_of(session, staff_id, now, page)


@dataclass(frozen=True)
class StoreConsultant:
    """A consultant of a store with how many clients they have and how many tasks are open."""

    staff: Staff
    role: str
    store: Store
    client_count: int
    open_task_count: int


def store_consultants(session: Session, caller: Staff, store_id: int, now: datetime) -> list[StoreConsultant]:
    """The store's consultants and managers with client and open task counts (its manager or an admin)."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"store {store_id} does not exist")
    if not holds(caller, access.MANAGERS, store_id):
        raise Forbidden(
            f"the consultants of store {store_id} are open to {describe(access.MANAGERS, store_id)}"
        )
    people = repo.store_consultants(session, store_id, {r.value for r in access.CONSULTANT_ROLES})
    counts = repo.client_counts(session, [p.id for p, _ in people])
    return [
        StoreConsultant(p, role, store, counts.get(p.id, 0), open_task_count(session, p.id, now))
        for p, role in people
    ]
