"""The member's own page: sign-in by one-time code, joining, the home page's figures, check-in, consents.

Codes are throttled per phone and per address and kept as keyed hashes; asking for one answers the same
whether or not the phone is a member's (no enumeration). Figures come from the loyalty, coupons and
messaging services the staff screens use, so a check-in here and one at the till are the same fact.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from server.core.crypto import Keys
from server.core.errors import AisleError, InvalidInput, NotFound, TooManyRequests
from server.core.phone import normalise_phone
from server.coupons.views import open_coupons
from server.db.tables import Coupon, Member, SignInCode, Store
from server.loyalty.activity_service import PointsAward, check_in, checked_in_today, store_day
from server.loyalty.benefit_service import member_benefits
from server.loyalty.benefits import BenefitStatus
from server.loyalty.config import load_config
from server.loyalty.service import PointsSummary, points_summary, tier_progress
from server.loyalty.tiers import Progress
from server.member_web import repository as repo
from server.member_web.security import client_hash, code_hash
from server.members.service import announce_joined, create_member, get_member, member_id_by_phone
from server.messaging import consent
from server.messaging.outbox import enqueue_to_phone
from server.messaging.purposes import CHANNELS
from server.stores.repository import store_by_code

CODE_MINUTES = 5
MAX_ATTEMPTS = 5
JOIN_MINUTES = 20  # how long after the right code the join form may still be sent
# (codes, window): per phone a few a quarter-hour and a day; per address enough for a family's phones.
PHONE_LIMITS = ((3, timedelta(minutes=15)), (10, timedelta(days=1)))
CLIENT_LIMITS = ((10, timedelta(hours=1)),)
CLIENT_WRONG_GUESSES = (20, timedelta(hours=1))
# WeChat subscribe messages never carry marketing, so it has no marketing toggle.
MARKETING_CHANNELS = tuple(c for c in CHANNELS if c != "wechat")
SOURCE = "member_page"


class WrongCode(AisleError):
    """The code entered is not the one sent; `left` tries remain."""

    status_code = 400

    def __init__(self, left: int) -> None:
        super().__init__(f"wrong code, {left} tries left")
        self.left = left


class ExpiredCode(AisleError):
    """The code expired, was used, or had too many wrong tries."""

    status_code = 400


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a right code: the member, or None when the phone is not a member's yet."""

    member_id: int | None
    code_id: int


@dataclass(frozen=True)
class Home:
    """Everything the member's home page shows."""

    member: Member
    store: Store
    progress: Progress
    points: PointsSummary
    coupons: list[Coupon]
    benefits: list[BenefitStatus]
    checked_in: int | None  # points today's check-in earned; None before checking in
    streak: int
    marketing: dict[str, bool]  # channel -> may carry marketing


def door_store(session: Session, store_code: str) -> Store:
    """The store a door QR names; 404 for an unknown code."""
    store = store_by_code(session, store_code) if len(store_code) <= 40 else None
    if store is None:
        raise NotFound("no such store")
    return store


def _throttle(times: list[datetime], limit: int, window: timedelta, now: datetime) -> None:
    recent = [t for t in times if t > now - window]
    if len(recent) >= limit:
        wait = recent[-limit] + window - now
        raise TooManyRequests("too many codes asked for", max(1, math.ceil(wait.total_seconds())))


def send_code(
    session: Session,
    keys: Keys,
    store: Store,
    raw_phone: str,
    address: str,
    lang: str,
    region: str,
    now: datetime,
) -> int:
    """Text a sign-in code to the phone (member or not: the same answer) and return its row id.

    422 for text that is no phone number; 429 past the per-address or per-phone limit."""
    e164 = normalise_phone(raw_phone, region)
    phone_hash, client = keys.phone_hash(e164), client_hash(keys, address)
    for limit, window in CLIENT_LIMITS:
        _throttle(repo.codes_from_client_since(session, client, now - window), limit, window, now)
    for limit, window in PHONE_LIMITS:
        _throttle(repo.codes_to_phone_since(session, phone_hash, now - window), limit, window, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = repo.add_code(
        session,
        SignInCode(
            phone_hash=phone_hash,
            phone_encrypted=keys.encrypt(e164),
            client_hash=client,
            code_hash=code_hash(keys, phone_hash, code),
            store_id=store.id,
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        ),
    )
    enqueue_to_phone(
        session,
        keys,
        e164,
        "sign_in_code",
        {"code": code, "minutes": CODE_MINUTES},
        key=f"sign-in-code:{row.id}",
        store_id=store.id,
        lang=lang,
        expires_at=row.expires_at,
        now=now,
    )
    return row.id


def verify_code(
    session: Session, keys: Keys, code_id: int, code: str, address: str, now: datetime
) -> SignedIn:
    """Check the code; the member it signs in (None: the phone may join). 400 wrong or expired, 429 spent."""
    row = repo.get_code(session, code_id)
    if row is None or row.verified_at is not None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        raise ExpiredCode("this code has expired")
    limit, window = CLIENT_WRONG_GUESSES
    if repo.wrong_guesses_from_client_since(session, client_hash(keys, address), now - window) >= limit:
        raise TooManyRequests("too many wrong codes", int(window.total_seconds()))
    entered = "".join(ch for ch in code if ch.isdigit())[:6]
    if not secrets.compare_digest(code_hash(keys, row.phone_hash, entered), row.code_hash):
        row.attempts += 1
        session.flush()
        if row.attempts >= MAX_ATTEMPTS:
            raise ExpiredCode("too many wrong tries")
        raise WrongCode(MAX_ATTEMPTS - row.attempts)
    row.verified_at = now
    session.flush()
    return SignedIn(member_id_by_phone(session, keys, keys.decrypt(row.phone_encrypted)), row.id)


def join(
    session: Session,
    keys: Keys,
    code_id: int,
    store: Store,
    *,
    name: str,
    birthday: date | None,
    marketing: set[str],
    lang: str,
    region: str,
    now: datetime,
) -> int:
    """Enrol the phone a right code proved, at `store`; consents recorded per channel. The member's id."""
    row = repo.get_code(session, code_id)
    if row is None or row.verified_at is None or row.verified_at + timedelta(minutes=JOIN_MINUTES) <= now:
        raise ExpiredCode("sign in again")
    e164 = keys.decrypt(row.phone_encrypted)
    found = member_id_by_phone(session, keys, e164)
    if found is not None:  # joined meanwhile (a second tab): just sign in
        return found
    member = create_member(
        session,
        keys,
        region=region,
        name=name.strip()[:200] or ("会员" if lang == "zh" else "Member"),
        phone=e164,
        home_store_id=store.id,
        birthday=birthday,
        marketing_consent=bool(marketing & set(MARKETING_CHANNELS)),
        locale="zh-CN" if lang == "zh" else "en",
        joined_on=store_day(session, store.id, now),
    )
    for channel in CHANNELS:
        # Service notices come with joining; marketing only where the member ticked the box.
        consent.record(session, member.id, channel, "service", True, SOURCE, now, note="joined")
        if channel in MARKETING_CHANNELS:
            consent.record(session, member.id, channel, "marketing", channel in marketing, SOURCE, now)
    announce_joined(session, member, SOURCE)  # a first-order journey starts here too
    return member.id


def pending_step(session: Session, code_id: int, now: datetime) -> str | None:
    """Where a sign-in under way stands: "code" (waiting for it), "join" (code right), None (over)."""
    row = repo.get_code(session, code_id)
    if row is None:
        return None
    if row.verified_at is None:
        return "code" if row.expires_at > now and row.attempts < MAX_ATTEMPTS else None
    return "join" if row.verified_at + timedelta(minutes=JOIN_MINUTES) > now else None


def member_qr_token(session: Session, member_id: int) -> str:
    """What the member's QR holds: their QR token, as the clerk's and the door's scanners look it up."""
    token = get_member(session, member_id).qr_token
    if not token:
        raise NotFound("this member has no QR token")
    return token


def parse_birthday(text: str, today: date) -> date | None:
    """An <input type=date> value as a date; None when empty, 422 when it is no plausible birthday."""
    if not text.strip():
        return None
    try:
        found = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("birthday: not a date") from None
    if not date(1900, 1, 1) <= found <= today:
        raise InvalidInput("birthday: not a plausible date")
    return found


def _named(session: Session, progress: Progress, lang: str) -> Progress:
    """The progress with its tiers as members read them ("贵宾会员", not the key "VIP")."""
    ladder = load_config(session).ladder
    nxt = ladder.label(progress.next_tier, lang) if progress.next_tier is not None else None
    return replace(progress, tier=ladder.label(progress.tier, lang), next_tier=nxt)


def home(session: Session, member_id: int, store: Store, now: datetime, lang: str = "zh") -> Home:
    """The member's figures for their page (a handful of indexed reads), tiers named in `lang`."""
    member = get_member(session, member_id)
    today = checked_in_today(session, member.id, store.id, now)
    allowed = consent.consents(session, member)
    return Home(
        member=member,
        store=store,
        progress=_named(session, tier_progress(session, member.id, now), lang),
        points=points_summary(session, member.id, now),
        coupons=open_coupons(session, member.id, now, limit=10),
        # A benefit of another tier is no news to the member: only theirs are listed.
        benefits=[b for b in member_benefits(session, member.id, now) if b.reason_code != "not_for_tier"],
        checked_in=today.points if today is not None else None,
        streak=int(today.detail.get("streak", 1)) if today is not None else 0,
        marketing={c: allowed[c]["marketing"] for c in MARKETING_CHANNELS},
    )


def member_check_in(session: Session, member_id: int, store: Store, now: datetime) -> PointsAward:
    """Today's check-in at `store` (its time zone), once a day however often it is tapped."""
    return check_in(session, member_id, store.id, now, None, SOURCE)


def set_marketing(session: Session, member_id: int, wanted: set[str], now: datetime) -> None:
    """Record the member's marketing choice per channel, only where it changes."""
    member = get_member(session, member_id)
    allowed = consent.consents(session, member)
    for channel in MARKETING_CHANNELS:
        if allowed[channel]["marketing"] != (channel in wanted):
            consent.record(session, member.id, channel, "marketing", channel in wanted, SOURCE, now)


def opt_out(session: Session, member_id: int, now: datetime) -> None:
    """No more marketing on any channel; queued marketing messages are suppressed at once."""
    member = get_member(session, member_id)
    for channel in MARKETING_CHANNELS:
        consent.record(session, member.id, channel, "marketing", False, SOURCE, now, note="opt-out")
