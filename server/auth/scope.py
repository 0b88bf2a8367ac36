"""Who may do what where: one role check, and the set of stores a staff member may see.

A staff member holds roles, each in one store or chain-wide (store_id NULL). A chain-wide role
counts in every store; a store role counts in its own store only.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.auth.roles import Role
from server.core.errors import Forbidden
from server.db.tables import Staff

Grant = tuple[Role, int | None]

ANY_ROLE = frozenset(Role)
# The floor roles a store manager may hand out in their own store.
FLOOR_ROLES = frozenset({Role.CLERK, Role.VIP_CONSULTANT, Role.CASHIER})
# Who may enrol or edit a member of a store (an hq_analyst only reads).
MEMBER_WRITERS = FLOOR_ROLES | {Role.STORE_MANAGER, Role.ADMIN}
# Who sees a member's phone number in full.
PHONE_READERS = frozenset({Role.STORE_MANAGER, Role.ADMIN})
# Who works a till: sells, takes returns, finds members and redeems their points there.
TILL_ROLES = frozenset({Role.CASHIER, Role.CLERK, Role.STORE_MANAGER})


def grants(staff: Staff) -> list[Grant]:
    """The staff member's (role, store_id) pairs; a role name this version does not know grants nothing."""
    known = {r.value for r in Role}
    return [(Role(r.role), r.store_id) for r in staff.roles if r.role in known]


def holds(staff: Staff, roles: Iterable[Role], store_id: int | None = None) -> bool:
    """True when the staff member holds one of `roles` in `store_id` (None: chain-wide is needed)."""
    wanted = frozenset(roles)
    return any(
        role in wanted and (scope is None or (store_id is not None and scope == store_id))
        for role, scope in grants(staff)
    )


def describe(roles: Iterable[Role], store_id: int | None) -> str:
    """A requirement in words, e.g. 'role clerk or cashier in store 3'."""
    wanted = frozenset(roles)
    where = f"in store {store_id}" if store_id is not None else "chain-wide"
    if wanted == ANY_ROLE:
        return f"a role {where}"
    names = sorted(r.value for r in wanted)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"role {listed} {where}"


def require(staff: Staff, roles: Iterable[Role] = ANY_ROLE, store_id: int | None = None) -> None:
    """Raise Forbidden ('role clerk in store 3 required') unless the staff member holds the role there."""
    if not holds(staff, roles, store_id):
        raise Forbidden(f"{describe(roles, store_id)} required")


def visible_store_ids(staff: Staff) -> frozenset[int] | None:
    """The stores whose members and data the staff member may see; None means every store."""
    pairs = grants(staff)
    if any(scope is None for _, scope in pairs):
        return None
    return frozenset(scope for _, scope in pairs if scope is not None)


def can_grant(staff: Staff, role: Role, store_id: int | None) -> bool:
    """True when the staff member may give `role` in `store_id` (or chain-wide) to someone."""
    if holds(staff, {Role.ADMIN}, store_id):
        return True
    return store_id is not None and role in FLOOR_ROLES and holds(staff, {Role.STORE_MANAGER}, store_id)


def require_grant(staff: Staff, role: Role, store_id: int | None) -> None:
    """Raise Forbidden naming what is missing unless the staff member may give `role` there."""
    if can_grant(staff, role, store_id):
        return
    where = f"in store {store_id}" if store_id is not None else "chain-wide"
    if store_id is not None and role in FLOOR_ROLES:
        needed = describe({Role.STORE_MANAGER, Role.ADMIN}, store_id)
    else:
        needed = describe({Role.ADMIN}, store_id)
    raise Forbidden(f"granting {role.value} {where} requires {needed}")


def require_any_role(staff: Staff) -> None:
    """Raise Forbidden unless the staff member holds at least one role somewhere."""
    if not grants(staff):
        raise Forbidden("no role assigned to this account; ask a store manager or admin for one")


def till_store(caller: Staff, store_id: int | None) -> int | None:
    """The store an action happens in: the one named (where the caller must work), else their only store."""
    if store_id is not None:
        require(caller, ANY_ROLE, store_id)
        return store_id
    stores = {scope for _, scope in grants(caller) if scope is not None}
    return stores.pop() if len(stores) == 1 else None
