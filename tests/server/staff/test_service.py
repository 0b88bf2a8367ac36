"""create_staff, the function the demo and set-up scripts call directly."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from server.auth.passwords import verify_password
from server.auth.roles import Role
from server.core.errors import Conflict, InvalidInput
from server.staff.service import create_staff
from tests.fixtures.factories import make_store


def test_create_staff_stores_a_hash_and_the_roles(session: Session) -> None:
    store = make_store(session)
    staff = create_staff(
        session,
        login="Wang.Fang",
        display_name="Wang Fang",
        password="s3cret-pass",
        roles=[(Role.CLERK, store.id), (Role.VIP_CONSULTANT, store.id), (Role.CLERK, store.id)],
        locale="zh",
    )
    assert staff.id and staff.login == "wang.fang" and staff.locale == "zh"
    assert verify_password("s3cret-pass", staff.password_hash) and "s3cret" not in staff.password_hash
    assert sorted((r.role, r.store_id) for r in staff.roles) == [
        ("clerk", store.id),
        ("vip_consultant", store.id),
    ]


def test_create_staff_refuses_duplicates_short_passwords_and_unknown_stores(session: Session) -> None:
    create_staff(
        session, login="admin", display_name="Admin", password="long-enough", roles=[(Role.ADMIN, None)]
    )
    with pytest.raises(Conflict):
        create_staff(session, login="ADMIN", display_name="Again", password="long-enough", roles=[])
    with pytest.raises(InvalidInput, match="at least 8"):
        create_staff(session, login="x1", display_name="X", password="short", roles=[])
    with pytest.raises(InvalidInput, match="store 424242 does not exist"):
        create_staff(
            session, login="x2", display_name="X", password="long-enough", roles=[(Role.CLERK, 424242)]
        )
