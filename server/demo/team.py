"""The demo's staff accounts and the VIP members their consultants look after."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.passwords import verify_password
from server.auth.roles import Role
from server.db.tables import ConsultantAssignment, Member, Staff, Transaction
from server.demo.people_data import STAFF_NAMES, STORES
from server.staff.service import create_staff

ROLE_KEYS = {
    "manager": Role.STORE_MANAGER,
    "clerk1": Role.CLERK,
    "clerk2": Role.CLERK,
    "vip": Role.VIP_CONSULTANT,
}
# Names for the team of a store the demo has no names for (the stores of imported data).
_STAFF_POOL = {
    "manager": ("Sarah Mitchell", "David Clarke", "Hannah Becker"),
    "clerk1": ("Tom Baker", "Lucy Fischer", "Marie Dubois"),
    "clerk2": ("Aisha Rahman", "Jonas Weber", "Pierre Laurent"),
    "vip": ("Grace Lin", "Sophie Martin", "Lena Schmidt"),
}
VIPS_PER_CONSULTANT = 12


@dataclass(frozen=True)
class TeamStore:
    """A store that gets a demo team."""

    id: int
    code: str
    name: str
    language: str


@dataclass(frozen=True)
class DemoAccount:
    """A demo staff account to create if it is missing."""

    login: str
    display_name: str
    password: str
    role: Role
    store_id: int | None
    store_name: str
    locale: str


@dataclass(frozen=True)
class AccountStatus:
    """A demo account after set-up: its id, whether this run created it, whether the demo password works."""

    account: DemoAccount
    staff_id: int
    created: bool
    password_is_demo: bool


def store_slug(code: str) -> str:
    """A short login prefix for a store: 'sh' for SH-JINGAN, 'uk' for OR-UNITED-KINGDOM, 'eire' ..."""
    for store in STORES:
        if store.code == code:
            return store.slug
    words = [w for w in re.split(r"[^a-z0-9]+", code.lower()) if w]
    if len(words) > 1 and words[0] == "or":  # the importer's "one store per country" codes
        words = words[1:]
    if len(words) > 1:
        return "".join(w[0] for w in words)[:12]
    return (words[0] if words else "store")[:12]


def demo_password(login: str) -> str:
    """The password a demo account starts with (printed by `aisle demo`; change it for anything real)."""
    return f"demo-{login.replace('.', '-')}"


def demo_accounts(stores: Sequence[TeamStore]) -> list[DemoAccount]:
    """admin and analyst chain-wide, then a manager, two clerks and a VIP consultant in each store."""
    everywhere = "(all stores)"
    accounts = [
        DemoAccount("admin", "Aisle Admin", demo_password("admin"), Role.ADMIN, None, everywhere, "en"),
        DemoAccount(
            "analyst", "HQ Analyst", demo_password("analyst"), Role.HQ_ANALYST, None, everywhere, "en"
        ),
    ]
    for position, store in enumerate(stores):
        slug = store_slug(store.code)
        names = {key: (zh, en) for key, zh, en in STAFF_NAMES.get(slug, ())}
        for key, role in ROLE_KEYS.items():
            pool = _STAFF_POOL[key]
            zh, en = names.get(key, (pool[position % len(pool)],) * 2)
            chinese = store.language == "zh"
            login = f"{slug}.{key}"
            accounts.append(
                DemoAccount(
                    login, zh if chinese else en, demo_password(login), role, store.id, store.name,
                    "zh" if chinese else "en",
                )
            )  # fmt: skip
    return accounts


def ensure_accounts(session: Session, accounts: Sequence[DemoAccount]) -> list[AccountStatus]:
    """Create the demo accounts that do not exist; an existing account (and its password) is left alone."""
    logins = [a.login for a in accounts]
    existing = {s.login: s for s in session.scalars(select(Staff).where(Staff.login.in_(logins)))}
    statuses: list[AccountStatus] = []
    for account in accounts:
        staff = existing.get(account.login)
        if staff is not None:
            kept = verify_password(account.password, staff.password_hash)
            statuses.append(AccountStatus(account, staff.id, created=False, password_is_demo=kept))
            continue
        staff = create_staff(
            session,
            login=account.login,
            display_name=account.display_name,
            password=account.password,
            roles=[(account.role, account.store_id)],
            locale=account.locale,
        )
        statuses.append(AccountStatus(account, staff.id, created=True, password_is_demo=True))
    return statuses


def assign_vips(
    session: Session,
    consultant_id: int,
    store_id: int,
    assigned_by: int | None,
    now: datetime,
    limit: int = VIPS_PER_CONSULTANT,
) -> int:
    """Make a consultant the primary of the store's best customers as of `now` (the demo's business
    clock), once; returns how many were assigned.

    A consultant who already has (or had) any member is left as they are, so a re-run adds nothing and
    reassignments made in the app stand.
    """
    if session.scalar(select(func.count()).where(ConsultantAssignment.staff_id == consultant_id)):
        return 0
    taken = select(ConsultantAssignment.member_id).where(
        ConsultantAssignment.position == "primary", ConsultantAssignment.ended_at.is_(None)
    )
    spend = func.sum(Transaction.total_amount)
    best = (
        select(Transaction.member_id)
        .join(Member, Member.id == Transaction.member_id)
        .where(Member.home_store_id == store_id, Member.id.not_in(taken))
        .group_by(Transaction.member_id)
        .order_by(spend.desc(), Transaction.member_id)
        .limit(limit)
    )
    member_ids = list(session.scalars(best))
    session.add_all(
        ConsultantAssignment(
            member_id=member_id, staff_id=consultant_id, position="primary", assigned_by_id=assigned_by,
            assigned_at=now,
        )
        for member_id in member_ids
    )  # fmt: skip
    session.flush()
    return len(member_ids)
