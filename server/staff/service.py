"""Staff accounts: creating them, listing a store's team, disabling and re-roling."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.passwords import hash_password
from server.auth.roles import Role
from server.auth.scope import Grant, grants, require, require_grant
from server.auth.service import check_password_policy, normalise_login, revoke_tokens, set_password
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.pagination import PageParams
from server.db.tables import Staff, StaffRole
from server.staff import repository
from server.stores.service import require_stores_exist


def _unique(roles: list[tuple[Role, int | None]]) -> list[Grant]:
    return list(dict.fromkeys((Role(role), store_id) for role, store_id in roles))


def create_staff(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    roles: list[tuple[Role, int | None]],
    locale: str = "en",
) -> Staff:
    """Create a staff account holding `roles` ((role, store_id or None for chain-wide) pairs)."""
    login = normalise_login(login)
    if not login:
        raise InvalidInput("a staff account needs a login")
    if not display_name.strip():
        raise InvalidInput("a staff account needs a display name")
    check_password_policy(password)
    pairs = _unique(roles)
    require_stores_exist(session, {s for _, s in pairs if s is not None})
    if repository.login_taken(session, login):
        raise Conflict(f"staff id {login!r} is already taken")
    staff = Staff(
        login=login,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        locale=locale,
        active=True,
        token_version=0,
        roles=[StaffRole(role=role.value, store_id=store_id) for role, store_id in pairs],
    )
    return repository.add_staff(session, staff)


def create_staff_as(
    session: Session,
    caller: Staff,
    *,
    login: str,
    display_name: str,
    password: str,
    roles: list[tuple[Role, int | None]],
    locale: str = "en",
) -> Staff:
    """Create a staff account on behalf of `caller`, who must be allowed to grant each role."""
    for role, store_id in _unique(roles):
        require_grant(caller, role, store_id)
    return create_staff(
        session, login=login, display_name=display_name, password=password, roles=roles, locale=locale
    )


def list_staff_as(
    session: Session, caller: Staff, store_id: int | None, page: PageParams
) -> tuple[list[Staff], int]:
    """The team of `store_id` (store manager or admin there), or everyone (chain-wide admin)."""
    if store_id is None:
        require(caller, {Role.ADMIN})
    else:
        require(caller, {Role.STORE_MANAGER, Role.ADMIN}, store_id)
    return repository.list_staff(session, store_id, limit=page.limit, offset=page.offset)


def update_staff_as(
    session: Session,
    caller: Staff,
    staff_id: int,
    *,
    display_name: str | None = None,
    active: bool | None = None,
    roles: list[tuple[Role, int | None]] | None = None,
    locale: str | None = None,
    password: str | None = None,
) -> Staff:
    """Change a staff account; `caller` must be allowed to grant every role it holds now and after."""
    target = repository.get_staff(session, staff_id)
    if target is None:
        raise NotFound(f"staff {staff_id} does not exist")
    current = grants(target)
    if not current:
        require(caller, {Role.ADMIN})
    for role, store_id in current:
        require_grant(caller, role, store_id)
    if target.id == caller.id and (active is False or roles is not None):
        raise InvalidInput("you cannot deactivate yourself or change your own roles")
    if roles is not None:
        _replace_roles(session, caller, target, _unique(roles))
    if display_name is not None:
        if not display_name.strip():
            raise InvalidInput("a staff account needs a display name")
        target.display_name = display_name.strip()
    if locale is not None:
        target.locale = locale
    if password is not None:
        set_password(target, password)
    if active is not None and active != target.active:
        target.active = active
        if not active:
            revoke_tokens(target)
    session.flush()
    return target


def _replace_roles(session: Session, caller: Staff, target: Staff, wanted: list[Grant]) -> None:
    if not wanted:
        raise InvalidInput("a staff account needs at least one role; deactivate it instead")
    for role, store_id in wanted:
        require_grant(caller, role, store_id)
    require_stores_exist(session, {s for _, s in wanted if s is not None})
    keep = set(wanted)
    # Edit the list in place: re-inserting an unchanged role would trip the unique index.
    for row in list(target.roles):
        if (row.role, row.store_id) not in keep:
            target.roles.remove(row)
    held = {(row.role, row.store_id) for row in target.roles}
    for role, store_id in wanted:
        if (role.value, store_id) not in held:
            target.roles.append(StaffRole(role=role.value, store_id=store_id))
