"""Coupon templates (HQ), issuing (clerks, batches), a member's coupons and each template's figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from models.i18n import resolve_lang
from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.coupons import batches, service, views, words
from server.coupons.pricing import terms_of
from server.coupons.schemas import (
    BatchCreate,
    BatchRead,
    BatchSkip,
    CouponIssue,
    CouponRead,
    Status,
    TemplateFigures,
    TemplateRead,
    TemplateWrite,
)
from server.db.tables import Coupon, CouponTemplate, Staff

router = APIRouter(tags=["coupons"])
Lang = Annotated[
    Literal["zh", "en"] | None, Query(description="The language of names and values; else the caller's.")
]


def _lang(lang: str | None, caller: Staff) -> str:
    return lang or resolve_lang(None, caller.locale)


def template_read(t: CouponTemplate) -> TemplateRead:
    """A template at the edge."""
    return TemplateRead.model_validate(
        {c: getattr(t, c) for c in TemplateRead.model_fields if c != "terms"} | {"terms": t.terms}
    )


def coupon_read(
    c: Coupon, lang: str, today: date, labels: Mapping[str, Mapping[str, str]] | None = None
) -> CouponRead:
    """A coupon at the edge, named in `lang` (its categories by the catalogue's `labels`)."""
    return CouponRead(
        id=c.id,
        member_id=c.member_id,
        template_id=c.template_id,
        template_version=c.template_version,
        code=c.code,
        name=words.name(c, lang),
        name_zh=c.name_zh,
        name_en=c.name_en,
        value=words.value(c, lang, labels=labels),
        terms=terms_of(c),
        source=c.source,
        store_id=c.store_id,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        status=words.status(c, today),
        issued_at=c.issued_at,
        redeemed_at=c.redeemed_at,
        redeemed_transaction_id=c.redeemed_transaction_id,
        discount_amount=c.discount_amount,
    )


@router.post("/coupons/templates", status_code=status.HTTP_201_CREATED)
def create_template(
    body: TemplateWrite, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> TemplateRead:
    """Save a coupon template (422 with the reason for bad terms or unknown categories, products, stores)."""
    return template_read(service.create_template(session, caller, body, now))


@router.get("/coupons/templates")
def list_templates(caller: CurrentStaff, session: SessionDep, page: PageDep) -> Page[TemplateRead]:
    """Coupon templates, newest first."""
    rows, total = service.list_templates(session, page)
    return Page(items=[template_read(t) for t in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/coupons/templates/{template_id}")
def get_template(template_id: Id, caller: CurrentStaff, session: SessionDep) -> TemplateRead:
    """One coupon template."""
    return template_read(service.get_template(session, template_id))


@router.put("/coupons/templates/{template_id}")
def update_template(
    template_id: Id, body: TemplateWrite, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> TemplateRead:
    """Save new terms as the template's next version; coupons already issued keep theirs."""
    return template_read(service.update_template(session, caller, template_id, body, now))


@router.post("/coupons/templates/{template_id}/batches")
def issue_batch(
    template_id: Id, body: BatchCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> BatchRead:
    """Issue the template to a segment (a tag or a rule) once per member per batch key."""
    result = batches.issue_batch(session, caller, template_id, body, now)
    return BatchRead(
        template_id=template_id,
        batch_key=body.batch_key,
        matched=result.matched,
        issued=result.issued,
        skipped=[BatchSkip(member_id=m, reason=r) for m, r in result.skipped],
    )


@router.get("/coupons/figures")
def coupon_figures(
    caller: CurrentStaff, session: SessionDep, now: NowDep, lang: Lang = None
) -> list[TemplateFigures]:
    """Per template over 365 days: issued, redeemed, 核销率, discount given, revenue of those sales."""
    return [
        TemplateFigures(
            template_id=f.template.id,
            name=f.template.name_zh if _lang(lang, caller) == "zh" else f.template.name_en,
            purpose=f.template.purpose,
            issued=f.issued,
            redeemed=f.redeemed,
            redemption_rate=f.rate,
            discount_given=f.discount,
            revenue=f.revenue,
        )
        for f in views.figures(session, caller, now)
    ]


@router.post(
    "/members/{member_id}/coupons",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A replayed key: the coupon issued the first time."}},
)
def issue_coupon(
    member_id: Id,
    body: CouponIssue,
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    response: Response,
    lang: Lang = None,
) -> CouponRead:
    """Issue a member of the caller's store a coupon of a template (409 with the reason at a limit)."""
    issued = service.issue_by_clerk(session, caller, member_id, body.template_id, body.idempotency_key, now)
    if issued.replayed:
        response.status_code = status.HTTP_200_OK
    return coupon_read(
        issued.coupon, _lang(lang, caller), now.date(), words.labels_for(session, [issued.coupon])
    )


@router.get("/members/{member_id}/coupons")
def member_coupons(
    member_id: Id,
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    lang: Lang = None,
    state: Annotated[Status | None, Query(alias="status")] = None,
) -> Page[CouponRead]:
    """The member's coupons (open, used, expired, or all), soonest to lapse first."""
    rows, total = views.member_coupons(session, caller, member_id, state, page, now)
    today = now.date()
    labels = words.labels_for(session, rows)
    return Page(
        items=[coupon_read(c, _lang(lang, caller), today, labels) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
