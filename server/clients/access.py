"""Who may hand out consultants, who may be one, and who may see a consultant's clients and tasks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import describe, grants, holds
from server.core.errors import Forbidden, InvalidInput, NotFound
from server.db.tables import Member, Staff

MANAGERS = frozenset({Role.STORE_MANAGER, Role.ADMIN})
# Who may look after a member as their consultant.
CONSULTANT_ROLES = frozenset({Role.VIP_CONSULTANT, Role.STORE_MANAGER})


def member(session: Session, member_id: int) -> Member:
    """The member (404 if there is none)."""
    found = session.get(Member, member_id)
    if found is None:
        raise NotFound(f"member {member_id} does not exist")
    return found


def staff(session: Session, staff_id: int) -> Staff:
    """The staff account (404 if there is none)."""
    found = session.get(Staff, staff_id)
    if found is None:
        raise NotFound(f"staff {staff_id} does not exist")
    return found


def require_member_manager(caller: Staff, target: Member) -> None:
    """Raise Forbidden unless the caller manages the member's home store or is an admin."""
    if not holds(caller, MANAGERS, target.home_store_id):
        raise Forbidden(
            f"assigning consultants to member {target.id} requires "
            f"{describe(MANAGERS, target.home_store_id)} (the member's home store)"
        )


def check_consultant(session: Session, staff_id: int, target: Member) -> Staff:
    """The staff account to assign, if it exists, is active and may be a consultant of the member (422)."""
    found = session.get(Staff, staff_id)
    if found is None:
        raise InvalidInput(f"staff_id: staff {staff_id} does not exist")
    if not found.active:
        raise InvalidInput(f"staff_id: {found.display_name} (staff {found.id}) is deactivated")
    if not holds(found, CONSULTANT_ROLES, target.home_store_id):
        raise InvalidInput(
            f"staff_id: {found.display_name} (staff {found.id}) cannot be a consultant of member "
            f"{target.id}: {describe(CONSULTANT_ROLES, target.home_store_id)} needed"
        )
    return found


def require_staff_view(caller: Staff, target: Staff) -> None:
    """Raise Forbidden unless the caller is the staff member, a manager of their store, or an admin."""
    if caller.id == target.id or holds(caller, {Role.ADMIN}):
        return
    stores = {scope for _, scope in grants(target) if scope is not None}
    if any(holds(caller, MANAGERS, store_id) for store_id in stores):
        return
    raise Forbidden(
        f"the clients and tasks of staff {target.id} are open to them, a store manager of their store, "
        "or an admin"
    )
