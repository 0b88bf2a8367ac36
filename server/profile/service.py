"""Finding a member at the till (phone, card or QR code) and opening their 360° profile, both audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from models.i18n import resolve_lang
from server.auth.roles import Role
from server.auth.scope import PHONE_READERS, holds, require, require_any_role, till_store
from server.core.crypto import Keys
from server.core.errors import InvalidInput, NotFound
from server.core.phone import mask_phone, normalise_phone
from server.db.session import session_scope
from server.db.tables import Staff
from server.loyalty.config import load_config
from server.members import repository as members_repo
from server.members.access import LookupLimit, check_lookup_rate, may_view, record_access, refusal
from server.profile import repository as repo
from server.profile.schemas import MemberSummary, ProfileRead, StoreRef
from server.profile.sections import dormancy_read, points_read
from server.profile.view import Phone, build_profile, consultants, tier_state, transactions

AS_OF_ROLES = frozenset({Role.HQ_ANALYST, Role.ADMIN})


def phone_for(keys: Keys, caller: Staff, encrypted: bytes | None, home_store_id: int | None) -> Phone:
    """The phone in full for the home store's manager or an admin, masked (*******8000) for everyone else."""
    if encrypted is None:
        return Phone(None, False)
    e164 = keys.decrypt(encrypted)
    if holds(caller, PHONE_READERS, home_store_id):
        return Phone(e164, False)
    return Phone(mask_phone(e164), True)


def _criterion(
    keys: Keys, region: str, phone: str | None, card: str | None, qr: str | None
) -> tuple[str, str, str]:
    """(method, the value to look up in its column, how to name it in a "not found" message)."""
    given = [(m, v) for m, v in (("phone", phone), ("card", card), ("qr", qr)) if v is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one of phone, card or qr")
    method, raw = given[0]
    value = "".join(raw.split()) if method == "card" else raw.strip()
    if not value:
        raise InvalidInput(f"{method} is empty")
    if method == "phone":
        e164 = normalise_phone(value, region)
        return method, keys.phone_hash(e164), f"phone {mask_phone(e164)}"
    if method == "card":
        return method, value, f"card {value}"
    return method, value, "this QR code"


def find_member_id(
    sessions: sessionmaker[Session],
    keys: Keys,
    caller: Staff,
    *,
    region: str,
    phone: str | None = None,
    card: str | None = None,
    qr: str | None = None,
    store_id: int | None = None,
    limit: LookupLimit | None = None,
) -> int:
    """The id of the member with exactly one of phone, card or QR token; rate-limited and audited.

    The audit row is written in its own transaction, so a look-up that finds nobody is kept too.
    """
    method, value, shown = _criterion(keys, region, phone, card, qr)
    require_any_role(caller)
    where = till_store(caller, store_id)
    with session_scope(sessions) as audit:
        check_lookup_rate(audit, caller.id, limit or LookupLimit())
        member_id = members_repo.member_id_by(audit, method, value)
        record_access(audit, caller.id, member_id, method, where)
    if member_id is None:
        raise NotFound(f"no member with {shown}")
    return int(member_id)


def lookup_member(
    session: Session,
    sessions: sessionmaker[Session],
    keys: Keys,
    caller: Staff,
    *,
    region: str,
    phone: str | None = None,
    card: str | None = None,
    qr: str | None = None,
    store_id: int | None = None,
    limit: LookupLimit | None = None,
    now: datetime,
) -> MemberSummary:
    """Find a member of any store by exactly one of phone, card or QR token and summarise them."""
    member_id = find_member_id(
        sessions, keys, caller, region=region, phone=phone, card=card, qr=qr, store_id=store_id, limit=limit
    )
    return summary(session, keys, caller, member_id, now)


def summary(session: Session, keys: Keys, caller: Staff, member_id: int, now: datetime) -> MemberSummary:
    """Who the member is, their tier, spendable points, last purchase, tags and consultants.

    The look-up's short form of the profile: the same sections (points, dormancy) as `build_profile`,
    without reading the member's whole history, since a look-up runs at every arrival.
    """
    member = _member(session, member_id)
    config = load_config(session)
    last = repo.last_sale(session, member_id, now)
    last_day = last.date() if last else None
    phone = phone_for(keys, caller, member.phone_encrypted, member.home_store_id)
    names = repo.store_names(session, {member.home_store_id} - {None})
    home = member.home_store_id
    return MemberSummary(
        id=member.id,
        name=member.name,
        phone=phone.shown,
        phone_masked=phone.masked,
        card_number=member.card_number,
        home_store=StoreRef(id=home, name=names.get(home, "")) if home is not None else None,
        tier=member.tier or config.ladder.lowest,
        points_available=points_read(session, config, member_id, now).available,
        last_purchase_on=last_day,
        dormancy=dormancy_read(last_day, now.date()).status,
        tags=[r.tag for r in repo.rows(session, repo.TAGS, member_id=member_id)],
        consultants=consultants(session, member_id),
        profile_url=f"/api/v1/members/{member_id}/profile",
    )


def _member(session: Session, member_id: int) -> Any:
    member = repo.member(session, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    return member


def open_profile(
    session: Session,
    keys: Keys,
    caller: Staff,
    member_id: int,
    now: datetime,
    as_of: datetime | None = None,
    lang: str | None = None,
) -> ProfileRead:
    """The member's 360° view for a caller allowed to open it (403 says who is); the view is audited.

    Its words (coupons, benefits, tier) are in `lang`, else in the caller's language.

    `as_of` (hq_analyst or admin only) shows the member as they stood at another moment.
    """
    if as_of is not None:
        require(caller, AS_OF_ROLES)
        now = as_of
    member = _member(session, member_id)
    txns = transactions(session, member_id, now)
    advisers = consultants(session, member_id)
    visited = {t.store_id for t in txns}
    if not may_view(
        session, caller, member_id, member.home_store_id, visited, {c.staff_id for c in advisers}
    ):
        raise refusal(member_id, member.home_store_id)
    record_access(session, caller.id, member_id, "profile", None)
    phone = phone_for(keys, caller, member.phone_encrypted, member.home_store_id)
    state = tier_state(session, member, now, as_of is not None)
    lang = lang or resolve_lang(None, caller.locale)
    return build_profile(session, member, phone, txns, advisers, now, state, lang)
