"""The member's own page over HTTP: /m/s/{store_code} (the door QR's target) and its forms.

Every route is public to the staff policy; the page signs members in with its own cookie. Every POST form
carries a CSRF token tied to a cookie; phone numbers, codes and session values never go into a URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from server.core.clock import NowDep
from server.core.deps import ContextDep, KeysDep, SessionDep
from server.core.errors import InvalidInput, NotFound, TooManyRequests, Unauthorized
from server.db.tables import Store
from server.member_web import pages, security, service, texts
from server.member_web.service import ExpiredCode, WrongCode

router = APIRouter(prefix="/m", tags=["member page"])
HTML = "text/html"
_PAGE = {"description": "The page (HTML)", "content": {HTML: {}}}
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _PAGE,
    303: {"description": "On to the page"},
    "default": {
        "description": "The page with what went wrong, in the member's language",
        "content": {HTML: {}},
    },
}
FormText = Annotated[str, Form(max_length=200)]


def _lang(request: Request) -> str:
    return texts.pick_lang(
        request.query_params.get("lang"),
        request.cookies.get(security.LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, secure=_secure(request), samesite="lax", path="/m"
    )


class Page:
    """One request's page context: language, CSRF seed, and the response to render into."""

    def __init__(self, request: Request, keys: Any) -> None:
        self.request, self.keys = request, keys
        self.lang = _lang(request)
        self.seed = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_seed()
        self.cookies: list[tuple[str, str, int]] = []

    def html(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = pages.render(
            template, self.lang, csrf=security.csrf_token(self.keys, self.seed), css=pages.CSS, **values
        )
        response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
        _cookie(self.request, response, security.CSRF_COOKIE, self.seed, 86400 * 30)
        if self.request.query_params.get("lang") in texts.LANGS:
            _cookie(self.request, response, security.LANG_COOKIE, self.lang, 86400 * 365)
        for name, value, age in self.cookies:
            if age <= 0:
                response.delete_cookie(name, path="/m")
            else:
                _cookie(self.request, response, name, value, age)
        return response

    def notice(self, store: Store | None, key: str, status: int, **values: Any) -> HTMLResponse:
        return self.html("notice.html", status, store=store, message=texts.t(self.lang, key, **values))


async def _form_csrf(request: Request, keys: Any) -> bool:
    form = await request.form()
    token = form.get("csrf")
    return security.csrf_ok(
        keys, request.cookies.get(security.CSRF_COOKIE), token if isinstance(token, str) else None
    )


def _store_or_page(session: Any, page: Page, store_code: str) -> Store | HTMLResponse:
    try:
        return service.door_store(session, store_code)
    except NotFound:
        return page.notice(None, "no_store", 404)


async def _posted_store(
    request: Request, keys: Any, session: Any, page: Page, store_code: str
) -> Store | HTMLResponse:
    """A form's door store once its CSRF token checks out; else the page saying what is wrong."""
    if not await _form_csrf(request, keys):
        return page.notice(None, "csrf", 403)
    return _store_or_page(session, page, store_code)


def _member(request: Request, keys: Any, now: datetime) -> int | None:
    return security.session_member(keys, request.cookies.get(security.SESSION_COOKIE), now)


def _home(
    session: Any, page: Page, store: Store, member_id: int, now: datetime, **extra: Any
) -> HTMLResponse:
    try:
        view = service.home(session, member_id, store, now, page.lang)
    except NotFound:  # the member was erased: the session is stale
        page.cookies.append((security.SESSION_COOKIE, "", 0))
        return page.html("door.html", store=store)
    return page.html(
        "home.html", store=store, home=view, channels=service.MARKETING_CHANNELS, today=now.date(), **extra
    )


def _too_many(page: Page, store: Store, exc: TooManyRequests) -> HTMLResponse:
    minutes = max(1, -(-exc.retry_after // 60))
    response = page.notice(store, "too_many", 429, minutes=minutes)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/s/{store_code}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def door_page(store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep) -> Response:
    """The door QR's page: the member's home when signed in, else the next step of joining or signing in."""
    page = Page(request, keys)
    store = _store_or_page(session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    member_id = _member(request, keys, now)
    if member_id is not None:
        return _home(session, page, store, member_id, now)
    pending = security.pending_code(keys, request.cookies.get(security.PENDING_COOKIE), now)
    if pending is not None:
        step = service.pending_step(session, pending, now)
        if step == "code":
            return page.html("code.html", store=store, minutes=service.CODE_MINUTES)
        if step == "join":
            return page.html("join.html", store=store, channels=service.MARKETING_CHANNELS)
    return page.html("door.html", store=store)


@router.post("/s/{store_code}/code", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def ask_code(
    store_code: str,
    request: Request,
    keys: KeysDep,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    phone: FormText = "",
) -> Response:
    """Text a one-time code to the phone; the same page whether or not it is a member's."""
    page = Page(request, keys)
    store = await _posted_store(request, keys, session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    address = request.client.host if request.client else "unknown"
    region = context.settings.default_phone_region
    try:
        code_id = service.send_code(session, keys, store, phone, address, page.lang, region, now)
    except TooManyRequests as exc:
        return _too_many(page, store, exc)
    except InvalidInput:
        return page.html("door.html", 400, store=store, error=texts.t(page.lang, "bad_phone"))
    page.cookies.append((security.PENDING_COOKIE, security.pending_value(keys, code_id, now), 20 * 60))
    return page.html("code.html", store=store, minutes=service.CODE_MINUTES)


@router.post("/s/{store_code}/sign-in", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def sign_in(
    store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep, code: FormText = ""
) -> Response:
    """Check the code: a member is signed in; anyone else goes on to the join form."""
    page = Page(request, keys)
    store = await _posted_store(request, keys, session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    pending = security.pending_code(keys, request.cookies.get(security.PENDING_COOKIE), now)
    address = request.client.host if request.client else "unknown"
    try:
        if pending is None:
            raise ExpiredCode("no code was asked for")
        signed = service.verify_code(session, keys, pending, code, address, now)
    except WrongCode as exc:
        error = texts.t(page.lang, "wrong_code", left=exc.left)
        return page.html("code.html", 400, store=store, minutes=service.CODE_MINUTES, error=error)
    except ExpiredCode:
        page.cookies.append((security.PENDING_COOKIE, "", 0))
        return page.html("door.html", 400, store=store, error=texts.t(page.lang, "expired_code"))
    except TooManyRequests as exc:
        return _too_many(page, store, exc)
    if signed.member_id is None:
        return page.html("join.html", store=store, channels=service.MARKETING_CHANNELS)
    page.cookies.append((security.PENDING_COOKIE, "", 0))
    page.cookies.append(
        (
            security.SESSION_COOKIE,
            security.session_value(keys, signed.member_id, now),
            security.SESSION_DAYS * 86400,
        )
    )
    return _home(session, page, store, signed.member_id, now)


@router.post("/s/{store_code}/join", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def join(
    store_code: str,
    request: Request,
    keys: KeysDep,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    name: FormText = "",
    birthday: FormText = "",
) -> Response:
    """Enrol the phone the code proved, with the member's consents, and sign them in."""
    page = Page(request, keys)
    store = await _posted_store(request, keys, session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    form = await request.form()
    marketing = {c for c in service.MARKETING_CHANNELS if form.get(f"marketing_{c}") == "yes"}
    pending = security.pending_code(keys, request.cookies.get(security.PENDING_COOKIE), now)
    try:
        if pending is None:
            raise ExpiredCode("sign in again")
        born = service.parse_birthday(birthday, now.date())
        member_id = service.join(
            session,
            keys,
            pending,
            store,
            name=name,
            birthday=born,
            marketing=marketing,
            lang=page.lang,
            region=context.settings.default_phone_region,
            now=now,
        )
    except ExpiredCode:
        page.cookies.append((security.PENDING_COOKIE, "", 0))
        return page.html("door.html", 400, store=store, error=texts.t(page.lang, "expired_code"))
    except InvalidInput:
        error = texts.t(page.lang, "bad_birthday")
        return page.html("join.html", 400, store=store, channels=service.MARKETING_CHANNELS, error=error)
    page.cookies.append((security.PENDING_COOKIE, "", 0))
    page.cookies.append(
        (security.SESSION_COOKIE, security.session_value(keys, member_id, now), security.SESSION_DAYS * 86400)
    )
    return _home(session, page, store, member_id, now)


async def _signed_in_post(
    store_code: str, request: Request, keys: Any, session: Any, now: datetime
) -> tuple[Page, Store, int] | HTMLResponse:
    page = Page(request, keys)
    store = await _posted_store(request, keys, session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    member_id = _member(request, keys, now)
    if member_id is None:
        return page.html("door.html", 401, store=store, error=texts.t(page.lang, "signed_out_notice"))
    return page, store, member_id


@router.post("/s/{store_code}/check-in", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def check_in(
    store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep
) -> Response:
    """Today's check-in (签到): points once a day; a second tap says so and shows what the first earned."""
    found = await _signed_in_post(store_code, request, keys, session, now)
    if isinstance(found, HTMLResponse):
        return found
    page, store, member_id = found
    award = service.member_check_in(session, member_id, store, now)
    key = "already" if award.replayed else "checked_in"
    return _home(
        session, page, store, member_id, now, notice=texts.t(page.lang, key, points=award.entry.points)
    )


@router.post("/s/{store_code}/preferences", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def preferences(
    store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep
) -> Response:
    """Which channels may carry marketing, written to the consent ledger the outbox reads."""
    found = await _signed_in_post(store_code, request, keys, session, now)
    if isinstance(found, HTMLResponse):
        return found
    page, store, member_id = found
    form = await request.form()
    wanted = {c for c in service.MARKETING_CHANNELS if form.get(f"marketing_{c}") == "yes"}
    service.set_marketing(session, member_id, wanted, now)
    return _home(session, page, store, member_id, now, notice=texts.t(page.lang, "saved"))


@router.post("/s/{store_code}/opt-out", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def opt_out(
    store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep
) -> Response:
    """No more marketing on any channel; what is queued is suppressed at once."""
    found = await _signed_in_post(store_code, request, keys, session, now)
    if isinstance(found, HTMLResponse):
        return found
    page, store, member_id = found
    service.opt_out(session, member_id, now)
    return _home(session, page, store, member_id, now, notice=texts.t(page.lang, "opted_out"))


@router.post("/s/{store_code}/sign-out", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def sign_out(
    store_code: str, request: Request, keys: KeysDep, session: SessionDep, now: NowDep
) -> Response:
    """Forget the session (and any sign-in under way) in this browser."""
    page = Page(request, keys)
    if not await _form_csrf(request, keys):
        return page.notice(None, "csrf", 403)
    page.cookies += [(security.SESSION_COOKIE, "", 0), (security.PENDING_COOKIE, "", 0)]
    store = _store_or_page(session, page, store_code)
    if isinstance(store, HTMLResponse):
        return store
    return page.html("door.html", store=store)


@router.get("/s/{store_code}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}})
def door_qr(store_code: str, request: Request, context: ContextDep, session: SessionDep) -> Response:
    """The store's printable door QR: the address of its member page."""
    store = service.door_store(session, store_code)
    base = context.settings.messaging_public_url.rstrip("/") or str(request.base_url).rstrip("/")
    svg = pages.qr_svg(f"{base}/m/s/{store.code}", scale=10)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/me/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}})
def member_qr(request: Request, keys: KeysDep, session: SessionDep, now: NowDep) -> Response:
    """The signed-in member's QR: their QR token, what the till's and the door's scanners look up."""
    member_id = _member(request, keys, now)
    if member_id is None:
        raise Unauthorized("sign in first")
    token = service.member_qr_token(session, member_id)
    return Response(
        pages.qr_svg(token), media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"}
    )
