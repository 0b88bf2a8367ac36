"""Members: enrolment, look-up within the caller's stores, edits; the phone is kept encrypted."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from server.auth.scope import (
    ANY_ROLE,
    MEMBER_WRITERS,
    PHONE_READERS,
    grants,
    holds,
    require,
    require_any_role,
    visible_store_ids,
)
from server.business_events.events import emit
from server.core.cards import luhn_digit
from server.core.crypto import Keys
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.pagination import PageParams
from server.core.phone import mask_phone, normalise_phone
from server.db.base import utcnow
from server.db.tables import Member, Staff
from server.member_tags.interests import interests_of, set_interests
from server.members import repository
from server.members.access import LookupLimit, check_lookup_rate, record_access
from server.products.categories import resolve_categories
from server.stores.repository import get_store

# A search text with this many digits may be a phone or card number: it counts as a look-up.
PROBE_DIGITS = 5


@dataclass(frozen=True)
class MemberView:
    """A member as one staff member may see them: the phone in full or masked."""

    member: Member
    phone: str | None
    phone_masked: bool
    interests: tuple[str, ...] = ()  # category keys


class MemberChanges(TypedDict, total=False):
    """The fields of a member an edit may change; absent keys stay as they are."""

    name: str
    phone: str
    gender: str
    birthday: date | None
    marketing_consent: bool
    locale: str


def phone_fields(keys: Keys, raw_phone: str, region: str) -> tuple[bytes, str]:
    """(ciphertext, lookup HMAC) of a phone number normalised to E.164; 422 when it is not a number."""
    e164 = normalise_phone(raw_phone, region)
    return keys.encrypt(e164), keys.phone_hash(e164)


def _new_card_number(session: Session) -> str:
    for _ in range(20):
        body = "88" + "".join(secrets.choice("0123456789") for _ in range(13))
        card = body + luhn_digit(body)
        if not repository.card_taken(session, card):
            return card
    raise Conflict("could not find a free card number; try again")


def _new_qr_token(session: Session) -> str:
    for _ in range(20):
        token = secrets.token_urlsafe(24)
        if not repository.qr_taken(session, token):
            return token
    raise Conflict("could not find a free QR token; try again")


def _store_today(session: Session, store_id: int | None) -> date:
    store = get_store(session, store_id) if store_id is not None else None
    try:
        zone = ZoneInfo(store.timezone) if store is not None else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    return datetime.now(zone).date() if zone else utcnow().date()


def _claim_phone(session: Session, keys: Keys, raw: str, region: str, member_id: int | None) -> str:
    e164 = normalise_phone(raw, region)
    if repository.phone_hash_taken(session, keys.phone_hash(e164), except_id=member_id):
        raise Conflict(f"phone {mask_phone(e164)} is already registered to another member")
    return e164


def create_member(
    session: Session,
    keys: Keys,
    *,
    region: str,
    name: str,
    phone: str | None,
    home_store_id: int | None,
    gender: str = "unknown",
    birthday: date | None = None,
    card_number: str | None = None,
    qr_token: str | None = None,
    marketing_consent: bool = False,
    locale: str = "en",
    joined_on: date | None = None,
    external_ref: str | None = None,
) -> Member:
    """Enrol a member (no permission check: for imports and the demo); 409 naming a duplicate field."""
    if not name.strip():
        raise InvalidInput("a member needs a name")
    if home_store_id is not None and get_store(session, home_store_id) is None:
        raise InvalidInput(f"store {home_store_id} does not exist")
    e164 = _claim_phone(session, keys, phone, region, None) if phone is not None else None
    if card_number is not None and repository.card_taken(session, card_number):
        raise Conflict(f"card_number {card_number!r} is already held by another member")
    if qr_token is not None and repository.qr_taken(session, qr_token):
        raise Conflict("qr_token is already held by another member")
    member = Member(
        name=name.strip(),
        gender=gender,
        birthday=birthday,
        phone_encrypted=keys.encrypt(e164) if e164 else None,
        phone_hash=keys.phone_hash(e164) if e164 else None,
        card_number=card_number or _new_card_number(session),
        qr_token=qr_token or _new_qr_token(session),
        home_store_id=home_store_id,
        joined_on=joined_on or _store_today(session, home_store_id),
        marketing_consent=marketing_consent,
        locale=locale,
        external_ref=external_ref,
    )
    return repository.add_member(session, member)


def announce_joined(session: Session, member: Member, source: str) -> None:
    """Journeys that start on joining (a first-order nudge) see the new member, in the same transaction.

    Called where a person joins (a clerk, the member page), not by imports of existing members."""
    emit(
        session,
        "registered",
        member.id,
        key=f"registered:{member.id}",
        occurred_at=utcnow(),
        store_id=member.home_store_id,
        payload={"source": source},
    )


def view(keys: Keys, caller: Staff, member: Member, interests: tuple[str, ...] = ()) -> MemberView:
    """The member with the phone in full for the home store's manager or an admin, masked otherwise."""
    if member.phone_encrypted is None:
        return MemberView(member, None, False, interests)
    e164 = keys.decrypt(member.phone_encrypted)
    if holds(caller, PHONE_READERS, member.home_store_id):
        return MemberView(member, e164, False, interests)
    return MemberView(member, mask_phone(e164), True, interests)


def create_member_as(
    session: Session,
    keys: Keys,
    caller: Staff,
    *,
    region: str,
    name: str,
    phone: str,
    home_store_id: int,
    gender: str = "unknown",
    birthday: date | None = None,
    card_number: str | None = None,
    qr_token: str | None = None,
    marketing_consent: bool = False,
    locale: str = "en",
    interests: list[str] | None = None,
) -> MemberView:
    """Enrol a member in `home_store_id`, where `caller` must work (or be a chain-wide admin), with the
    interests they state (catalogue categories; 422 naming one the catalogue does not have)."""
    require(caller, MEMBER_WRITERS, home_store_id)
    categories = resolve_categories(session, interests) if interests else []
    member = create_member(
        session,
        keys,
        region=region,
        name=name,
        phone=phone,
        home_store_id=home_store_id,
        gender=gender,
        birthday=birthday,
        card_number=card_number,
        qr_token=qr_token,
        marketing_consent=marketing_consent,
        locale=locale,
    )
    announce_joined(session, member, "staff")
    if categories:
        set_interests(session, member.id, categories, staff_id=caller.id, now=utcnow())
    return view(keys, caller, member, tuple(categories))


def with_interests(session: Session, views: list[MemberView]) -> list[MemberView]:
    """The views with each member's stated interests filled in (one query)."""
    found = interests_of(session, [v.member.id for v in views])
    return [replace(v, interests=tuple(found[v.member.id])) for v in views]


def set_interests_as(
    session: Session, keys: Keys, caller: Staff, member_id: int, interests: list[str]
) -> MemberView:
    """Replace the interests of a member of a store where `caller` may enrol members; the same set
    again changes nothing (not even the member's updated_at)."""
    member = get_member_as(session, caller, member_id)
    require(caller, MEMBER_WRITERS, member.home_store_id)
    categories = resolve_categories(session, interests)
    set_interests(session, member.id, categories, staff_id=caller.id, now=utcnow())
    return with_interests(session, [view(keys, caller, member)])[0]


def member_id_by_phone(session: Session, keys: Keys, e164: str) -> int | None:
    """The member holding this (normalised) phone number, if any; for the member's own sign-in."""
    return repository.member_id_by(session, "phone", keys.phone_hash(e164))


def get_member(session: Session, member_id: int) -> Member:
    """The member with this id (404 otherwise); no permission check: for the member's own page."""
    member = repository.get_member(session, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    return member


def get_member_as(session: Session, caller: Staff, member_id: int) -> Member:
    """A member whose home store `caller` works in (403), if they exist (404)."""
    member = repository.get_member(session, member_id)
    if member is None:
        raise NotFound(f"member {member_id} does not exist")
    require(caller, ANY_ROLE, member.home_store_id)
    return member


def search_members_as(
    session: Session,
    keys: Keys,
    caller: Staff,
    *,
    region: str,
    store_id: int | None,
    q: str | None,
    page: PageParams,
    limit: LookupLimit | None = None,
) -> tuple[list[MemberView], int]:
    """Members of one store (or all the caller sees) by name, card number, QR token or exact phone.

    A search for a phone or card number is a look-up: rate-limited and audited as GET /members/lookup is,
    or it would answer "is this number a member?" without limit."""
    if store_id is None:
        require_any_role(caller)
        store_ids = visible_store_ids(caller)
    else:
        require(caller, ANY_ROLE, store_id)
        store_ids = frozenset({store_id})
    text = (q or "").strip() or None
    phone_hash = None
    if text and sum(ch.isdigit() for ch in text) >= PROBE_DIGITS:
        try:
            phone_hash = keys.phone_hash(normalise_phone(text, region))
        except InvalidInput:
            phone_hash = None  # not a phone number: search names and cards only
        check_lookup_rate(session, caller.id, limit or LookupLimit())
        found = repository.member_id_by_identifier(session, store_ids, card=text, phone_hash=phone_hash)
        where = store_id if store_id is not None else _only_store(caller)
        record_access(session, caller.id, found, "phone" if phone_hash else "card", where)
    rows, total = repository.search_members(
        session, store_ids, text=text, phone_hash=phone_hash, limit=page.limit, offset=page.offset
    )
    return with_interests(session, [view(keys, caller, m) for m in rows]), total


def _only_store(caller: Staff) -> int | None:
    stores = {scope for _, scope in grants(caller) if scope is not None}
    return stores.pop() if len(stores) == 1 else None


def update_member_as(
    session: Session, keys: Keys, caller: Staff, member_id: int, *, region: str, changes: MemberChanges
) -> MemberView:
    """Edit a member of a store where `caller` may enrol members; a new phone is re-encrypted."""
    member = get_member_as(session, caller, member_id)
    require(caller, MEMBER_WRITERS, member.home_store_id)
    if "name" in changes:
        if not changes["name"].strip():
            raise InvalidInput("a member needs a name")
        member.name = changes["name"].strip()
    if "phone" in changes:
        e164 = _claim_phone(session, keys, changes["phone"], region, member.id)
        member.phone_encrypted, member.phone_hash = keys.encrypt(e164), keys.phone_hash(e164)
    if "gender" in changes:
        member.gender = changes["gender"]
    if "birthday" in changes:
        member.birthday = changes["birthday"]
    if "marketing_consent" in changes:
        member.marketing_consent = changes["marketing_consent"]
    if "locale" in changes:
        member.locale = changes["locale"]
    session.flush()
    return with_interests(session, [view(keys, caller, member)])[0]
