"""Coupon templates HQ keeps, and issuing coupons from them to members (by a clerk, a batch or automation).

`issue_coupon` is the one way a coupon comes into being; journeys and the points exchange call it
directly with their own idempotency key and `source`. It checks the template (active, inside its
window, total limit) and the member's limit under the member's lock, copies the terms onto the coupon
and gives it a fresh code. The same key always answers with the same coupon; a key already used for
another member is a 409. It flushes and never commits: the caller's unit of work decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import holds, till_store
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.core.pagination import PageParams
from server.core.words import counted
from server.coupons import repository as repo
from server.coupons import words
from server.coupons.codes import new_code
from server.coupons.schemas import CouponTerms, TemplateWrite
from server.db.session import serialise_member
from server.db.tables import Coupon, CouponTemplate, Member, Product, Staff, Store
from server.members.access import member_for
from server.messaging.outbox import enqueue, member_lang

SOURCES = frozenset({"clerk", "batch", "automation", "points_exchange", "reactivation"})
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Issued:
    """A coupon and whether this call only found it again (a replayed key)."""

    coupon: Coupon
    replayed: bool = False


def _check_refs(session: Session, body: TemplateWrite) -> None:
    t = body.terms
    problems = []
    if t.categories and (missing := repo.unknown_categories(session, t.categories)):
        problems.append(f"terms.categories: no product is in {', '.join(missing)}")
    items = set(t.product_ids) | ({t.gift_product_id} if t.gift_product_id else set())
    if items and (unknown := repo.unknown_ids(session, Product, items)):
        problems.append(f"terms: no product with id {', '.join(map(str, unknown))}")
    if t.store_ids and (gone := repo.unknown_ids(session, Store, t.store_ids)):
        problems.append(f"terms.store_ids: no store with id {', '.join(map(str, gone))}")
    if problems:
        raise InvalidInput("; ".join(problems))


def _write(row: CouponTemplate, body: TemplateWrite) -> None:
    row.name_zh, row.name_en, row.purpose = body.name_zh.strip(), body.name_en.strip(), body.purpose
    row.terms = body.terms.money()
    row.valid_days, row.valid_from, row.valid_until = body.valid_days, body.valid_from, body.valid_until
    row.per_member_limit, row.total_limit, row.active = body.per_member_limit, body.total_limit, body.active


def create_template(session: Session, caller: Staff, body: TemplateWrite, now: datetime) -> CouponTemplate:
    """Save a new template (422 naming unknown categories, products or stores)."""
    _check_refs(session, body)
    row = CouponTemplate(
        created_by=caller.id, updated_by=caller.id, created_at=now, updated_at=now, version=1, issued_count=0
    )
    _write(row, body)
    session.add(row)
    session.flush()
    return row


def get_template(session: Session, template_id: int) -> CouponTemplate:
    """The template (404 if there is none)."""
    row = session.get(CouponTemplate, template_id)
    if row is None:
        raise NotFound(f"coupon template {template_id} does not exist")
    return row


def hold_template(session: Session, template_id: int) -> CouponTemplate:
    """Lock the template for the rest of the unit of work, for a caller about to lock a member first.

    Issuing takes the template before the member; a caller that must lock the member earlier (a points
    exchange) takes the template here first so the order stays the same.
    """
    template = get_template(session, template_id)
    serialise_member(session, None)
    repo.lock_template(session, template.id)
    return template


def update_template(
    session: Session, caller: Staff, template_id: int, body: TemplateWrite, now: datetime
) -> CouponTemplate:
    """Replace the template's terms as a new version; coupons already issued keep the terms they have."""
    _check_refs(session, body)
    row = get_template(session, template_id)
    if body.total_limit is not None and body.total_limit < row.issued_count:
        raise InvalidInput(f"total_limit: {row.issued_count} coupons were already issued from this template")
    _write(row, body)
    row.version += 1
    row.updated_at, row.updated_by = now, caller.id
    session.flush()
    return row


def list_templates(session: Session, page: PageParams) -> tuple[list[CouponTemplate], int]:
    """Templates, newest first."""
    rows = list(session.query(CouponTemplate).order_by(CouponTemplate.id.desc()))
    return rows[page.offset : page.offset + page.limit], len(rows)


def _replay(found: Coupon, member_id: int, key: str) -> Issued:
    if found.member_id != member_id:
        raise Conflict(f"idempotency key {key!r} was used for a coupon to another member")
    return Issued(found, replayed=True)


def _validity(template: CouponTemplate, now: datetime) -> tuple[date, date]:
    today = now.date()
    if template.valid_days is not None:
        return today, today + timedelta(days=template.valid_days)
    assert template.valid_from is not None and template.valid_until is not None
    if template.valid_until < today:
        raise Conflict(f"coupon template {template.id} ran until {template.valid_until.isoformat()}")
    return template.valid_from, template.valid_until


def _unused_code(session: Session) -> str:
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        if not repo.code_taken(session, code):
            return code
    raise Conflict("could not find an unused coupon code; try again")


def issue_coupon(
    session: Session,
    template_id: int,
    member_id: int,
    *,
    key: str,
    source: str,
    staff_id: int | None = None,
    store_id: int | None = None,
    now: datetime,
    announce: bool = True,
) -> Issued:
    """Issue the member a coupon of the template under `key` (the same key gives the same coupon).

    `announce=False` leaves out the 'coupon issued' message (a journey that words its own). 409 when the
    template is inactive or over, the member holds `per_member_limit` of it (open or used) or the
    template's total limit is reached; the reason says which. Flushes, never commits.
    """
    return issue_with_terms(
        session,
        template_id,
        member_id,
        key=key,
        source=source,
        staff_id=staff_id,
        store_id=store_id,
        now=now,
        announce=announce,
    )


def issue_with_terms(
    session: Session,
    template_id: int,
    member_id: int,
    *,
    key: str,
    source: str,
    now: datetime,
    staff_id: int | None = None,
    store_id: int | None = None,
    terms: CouponTerms | None = None,
    valid_days: int | None = None,
    note: dict[str, Any] | None = None,
    announce: bool = True,
) -> Issued:
    """`issue_coupon` with terms made for this member (a reactivation offer's percent and categories).

    `terms` and `valid_days` replace the template's for this one coupon; `note` is kept with it.
    """
    if source not in SOURCES:
        raise InvalidInput(f"source: one of {', '.join(sorted(SOURCES))}, got {source!r}")
    found = repo.by_key(session, key)
    if found is not None:
        return _replay(found, member_id, key)
    template = get_template(session, template_id)
    if session.get(Member, member_id) is None:
        raise NotFound(f"member {member_id} does not exist")
    # Serialised with every other issue of this template and to this member, so parallel calls cannot
    # pass either limit together. Always the template before the member: a batch (one template, many
    # members) and a clerk (one member) then never wait on each other in a circle. A caller that already
    # holds a member's lock should issue before taking it.
    serialise_member(session, None)  # SQLite: the write lock now; PostgreSQL: nothing yet
    repo.lock_template(session, template.id)
    serialise_member(session, member_id)
    found = repo.by_key(session, key)
    if found is not None:
        return _replay(found, member_id, key)
    session.refresh(template)
    if not template.active:
        raise Conflict(f"coupon template {template.id} is switched off")
    valid_from, valid_until = _validity(template, now)
    if valid_days is not None:
        valid_from, valid_until = now.date(), now.date() + timedelta(days=valid_days)
    held = repo.held(session, template.id, member_id, now.date())
    if held >= template.per_member_limit:
        raise Conflict(
            f"member {member_id} already holds {counted(held, 'coupon')} of template {template.id} "
            f"(open or used; the limit is {template.per_member_limit})"
        )
    row = Coupon(
        template_id=template.id,
        template_version=template.version,
        member_id=member_id,
        code=_unused_code(session),
        idempotency_key=key,
        source=source,
        staff_id=staff_id,
        store_id=store_id,
        name_zh=template.name_zh,
        name_en=template.name_en,
        terms=terms.money() if terms is not None else dict(template.terms),
        note=dict(note or {}),
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
    )
    try:
        with session.begin_nested():
            if not repo.count_issue(session, template.id, template.total_limit):
                raise Conflict(f"coupon template {template.id} reached its limit of {template.total_limit}")
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raced = repo.by_key(session, key)
        if raced is None:
            raise Conflict("the coupon code was taken at the same moment; try again") from exc
        return _replay(raced, member_id, key)
    if announce:
        _announce(session, row, now)
    return Issued(row)


def _announce(session: Session, coupon: Coupon, now: datetime) -> None:
    """Tell the member what they got and its code, in their language, committed with the coupon."""
    member = session.get(Member, coupon.member_id)
    assert member is not None
    lang = member_lang(member)
    gift_id = coupon.terms.get("gift_product_id")
    gift = session.get(Product, gift_id) if gift_id else None
    variables = {
        "coupon_name": words.name(coupon, lang),
        "coupon_value": words.value(
            coupon, lang, gift.name if gift else None, words.labels_for(session, [coupon])
        ),
        "coupon_code": coupon.code,
        "expires_on": coupon.valid_until,
    }
    enqueue(session, coupon.member_id, "coupon_issued", variables, key=f"coupon-issued:{coupon.id}", now=now)


def issue_by_clerk(
    session: Session, caller: Staff, member_id: int, template_id: int, key: str, now: datetime
) -> Issued:
    """A clerk (or manager) issues a member they may open a coupon, in the store they work in."""
    member = member_for(session, caller, member_id)
    home = member.home_store_id
    if home is not None and not holds(caller, {Role.CLERK, Role.VIP_CONSULTANT, Role.STORE_MANAGER}, home):
        if not holds(caller, {Role.ADMIN}):
            raise Forbidden(f"member {member_id} belongs to store {home}; a coupon is issued by their store")
    store = home if home is not None else till_store(caller, None)
    return issue_coupon(
        session,
        template_id,
        member.id,
        key=f"clerk:{key}",
        source="clerk",
        staff_id=caller.id,
        store_id=store,
        now=now,
    )


# Reactivation offers are coupons of this template, each with the percent and categories the recommender
# chose for the member. A member may hold one open at a time (server/offers/service.py); used ones do not
# count, so the template's own per-member limit is set out of reach.
REACTIVATION_NAMES = ("回归礼遇", "Welcome back offer")
REACTIVATION_LIMIT = 1_000_000


def reactivation_template(session: Session, valid_days: int, now: datetime) -> CouponTemplate:
    """The template reactivation offers are issued from, made on first use."""
    found = repo.first_template(session, "reactivation", None)
    if found is not None:
        return found
    row = CouponTemplate(
        name_zh=REACTIVATION_NAMES[0],
        name_en=REACTIVATION_NAMES[1],
        purpose="reactivation",
        terms={"kind": "percent_off", "percent": 10},
        valid_days=valid_days,
        per_member_limit=REACTIVATION_LIMIT,
        version=1,
        issued_count=0,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    # Two first issues racing may both make one; every later call takes the lowest id, so both still work.
    return repo.first_template(session, "reactivation", None) or row
