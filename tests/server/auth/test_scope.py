"""The authorisation helpers, over staff objects that need no database."""

from __future__ import annotations

import pytest

from server.auth.roles import Role
from server.auth.scope import (
    ANY_ROLE,
    can_grant,
    holds,
    require,
    require_any_role,
    require_grant,
    visible_store_ids,
)
from server.core.errors import Forbidden
from server.db.tables import Staff, StaffRole


def staff(*roles: tuple[Role, int | None]) -> Staff:
    return Staff(login="x", roles=[StaffRole(role=r.value, store_id=s) for r, s in roles])


def test_store_role_counts_in_its_store_only() -> None:
    clerk = staff((Role.CLERK, 3))
    assert holds(clerk, {Role.CLERK}, 3)
    assert not holds(clerk, {Role.CLERK}, 4)
    assert not holds(clerk, {Role.CLERK})  # chain-wide asked, store role held
    assert not holds(clerk, {Role.STORE_MANAGER}, 3)


def test_chain_role_counts_everywhere() -> None:
    analyst = staff((Role.HQ_ANALYST, None))
    assert holds(analyst, ANY_ROLE, 3) and holds(analyst, ANY_ROLE, 99) and holds(analyst, ANY_ROLE)


def test_require_names_what_is_missing() -> None:
    with pytest.raises(Forbidden, match=r"^role clerk in store 3 required$"):
        require(staff((Role.CLERK, 4)), {Role.CLERK}, 3)
    with pytest.raises(Forbidden, match=r"^role admin or store_manager in store 3 required$"):
        require(staff(), {Role.STORE_MANAGER, Role.ADMIN}, 3)
    with pytest.raises(Forbidden, match=r"^role admin chain-wide required$"):
        require(staff((Role.ADMIN, 3)), {Role.ADMIN})
    with pytest.raises(Forbidden, match=r"^a role in store 3 required$"):
        require(staff((Role.CLERK, 4)), store_id=3)


def test_visible_stores() -> None:
    assert visible_store_ids(staff((Role.CLERK, 3), (Role.CASHIER, 5))) == {3, 5}
    assert visible_store_ids(staff((Role.CLERK, 3), (Role.HQ_ANALYST, None))) is None
    assert visible_store_ids(staff()) == frozenset()


def test_unknown_role_names_grant_nothing() -> None:
    odd = Staff(login="x", roles=[StaffRole(role="wizard", store_id=None)])
    assert visible_store_ids(odd) == frozenset()
    with pytest.raises(Forbidden, match="no role"):
        require_any_role(odd)


@pytest.mark.parametrize(
    ("grantor", "role", "store", "allowed"),
    [
        (staff((Role.ADMIN, None)), Role.ADMIN, None, True),
        (staff((Role.ADMIN, None)), Role.STORE_MANAGER, 7, True),
        (staff((Role.ADMIN, 3)), Role.STORE_MANAGER, 3, True),
        (staff((Role.ADMIN, 3)), Role.CLERK, 4, False),
        (staff((Role.ADMIN, 3)), Role.HQ_ANALYST, None, False),
        (staff((Role.STORE_MANAGER, 3)), Role.CLERK, 3, True),
        (staff((Role.STORE_MANAGER, 3)), Role.VIP_CONSULTANT, 3, True),
        (staff((Role.STORE_MANAGER, 3)), Role.CASHIER, 3, True),
        (staff((Role.STORE_MANAGER, 3)), Role.CLERK, 4, False),
        (staff((Role.STORE_MANAGER, 3)), Role.STORE_MANAGER, 3, False),
        (staff((Role.STORE_MANAGER, 3)), Role.CLERK, None, False),
        (staff((Role.CLERK, 3)), Role.CLERK, 3, False),
        (staff((Role.HQ_ANALYST, None)), Role.CLERK, 3, False),
    ],
)
def test_who_may_grant_what(grantor: Staff, role: Role, store: int | None, allowed: bool) -> None:
    assert can_grant(grantor, role, store) is allowed
    if not allowed:
        with pytest.raises(Forbidden, match=f"granting {role.value}"):
            require_grant(grantor, role, store)
