"""Messaging over HTTP: templates, the outbox, consents, one-off sends, unsubscribing, provider webhooks."""

from __future__ import annotations

import html
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from server.auth.deps import CurrentStaff
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep, KeysDep, SessionDep
from server.core.errors import InvalidInput, NotFound, Unauthorized
from server.core.pagination import Page, PageDep
from server.messaging import consent, identities, receipts, service, templates
from server.messaging.adapters.base import WebhookCall
from server.messaging.adapters.registry import Adapters
from server.messaging.runner import get_adapters
from server.messaging.schemas import (
    ConsentCreate,
    ConsentRead,
    MessageRead,
    PreviewCreate,
    PreviewRead,
    SendCreate,
    TemplateRead,
    TemplateSave,
    WebhookRead,
    WeChatBindingRead,
    WeChatBindingSave,
)

router = APIRouter(tags=["messaging"])
Lang = Literal["zh", "en"]


@router.get("/messaging/templates")
def list_templates(caller: CurrentStaff, session: SessionDep) -> list[TemplateRead]:
    """The template in force for every purpose, in Chinese and English, with the variables each may use."""
    return service.all_templates(session)


@router.get("/messaging/templates/{purpose}/{lang}/versions")
def template_versions(
    purpose: str, lang: Lang, caller: CurrentStaff, session: SessionDep
) -> list[TemplateRead]:
    """Every saved version of a template, newest first."""
    return [service.template_read(t) for t in templates.versions(session, purpose, lang)]


@router.put("/messaging/templates/{purpose}/{lang}")
def save_template(
    purpose: str, lang: Lang, body: TemplateSave, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> TemplateRead:
    """Save a new version (HQ); 422 names an unknown variable or a format the text cannot take."""
    return service.template_read(templates.save(session, purpose, lang, body.body, caller.id, now))


@router.post("/messaging/templates/{purpose}/{lang}/preview")
def preview_template(
    purpose: str, lang: Lang, body: PreviewCreate, caller: CurrentStaff, session: SessionDep
) -> PreviewRead:
    """The text a member you may open would read, with their data; codes masked."""
    return service.preview(session, caller, purpose, lang, body)


@router.get("/messaging/messages")
def list_messages(
    caller: CurrentStaff,
    session: SessionDep,
    page: PageDep,
    member_id: Annotated[Id | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> Page[MessageRead]:
    """The outbox, newest first, with each message's state and why it failed or was held back."""
    items, total = service.messages(session, caller, page, member_id, status)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/members/{member_id}/consents")
def member_consents(member_id: Id, caller: CurrentStaff, session: SessionDep) -> ConsentRead:
    """Which channels may carry marketing and service messages to the member now."""
    return service.consent_of(session, caller, member_id)


@router.post("/members/{member_id}/consents")
def change_consent(
    member_id: Id, body: ConsentCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> ConsentRead:
    """Record a consent given or withdrawn (staff of the member's store); an opt-out stops queued messages."""
    return service.set_consent(session, caller, member_id, body, now)


@router.post("/members/{member_id}/messages", status_code=201)
def send_message(
    member_id: Id, body: SendCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> MessageRead:
    """Queue a campaign message to one member (their store's manager or an admin); same key, same message."""
    return service.send_one(session, caller, member_id, body, now)


@router.get("/members/{member_id}/wechat")
def wechat_binding(
    member_id: Id, caller: CurrentStaff, session: SessionDep, context: ContextDep
) -> WeChatBindingRead:
    """The member's WeChat binding for the chain's official account (404 when there is none)."""
    found = identities.current(session, context.settings.wechat_app_id, caller, member_id)
    return identities.read(context.keys, found)


@router.put("/members/{member_id}/wechat")
def bind_wechat(
    member_id: Id,
    body: WeChatBindingSave,
    caller: CurrentStaff,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> WeChatBindingRead:
    """Bind the member's openid (staff of their store); 409 when another member holds that openid."""
    app_id = context.settings.wechat_app_id
    row = identities.bind(session, context.keys, app_id, caller, member_id, body, now)
    return identities.read(context.keys, row)


@router.delete("/members/{member_id}/wechat", status_code=204)
def unbind_wechat(
    member_id: Id, caller: CurrentStaff, session: SessionDep, context: ContextDep, now: NowDep
) -> Response:
    """Unbind the member's openid (staff of their store); WeChat messages to them then fail."""
    identities.unbind(session, context.settings.wechat_app_id, caller, member_id, now)
    return Response(status_code=204)


_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>退订 / Unsubscribe</title>
<style>body{{font-family:sans-serif;font-size:1.1em;line-height:1.5;max-width:30em;margin:2em auto;
padding:0 1.2em}} button{{font-size:1em;padding:.7em 1.4em;min-width:12em}}</style></head>
<body>{content}</body></html>"""


@router.get("/messaging/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, keys: KeysDep) -> HTMLResponse:
    """Ask the member to confirm they want no more marketing messages on this channel."""
    consent.read_token(keys, token)
    form = (
        f"<p>确定不再接收营销消息吗？</p><p>Stop receiving marketing messages?</p>"
        f'<form method="post" action="{html.escape(token)}">'
        '<button type="submit">退订 / Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(content=form), headers={"Cache-Control": "no-store"})


@router.post("/messaging/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, keys: KeysDep, session: SessionDep, now: NowDep) -> HTMLResponse:
    """Opt the member out of marketing on the link's channel."""
    member_id, channel = consent.read_token(keys, token)
    consent.record(session, member_id, channel, "marketing", False, "unsubscribe_link", now)
    done = "<p>已退订，您将不再收到营销消息。</p><p>You will receive no more marketing messages.</p>"
    return HTMLResponse(_PAGE.format(content=done), headers={"Cache-Control": "no-store"})


async def _call(request: Request) -> WebhookCall:
    body = await request.body()
    form: dict[str, str] = {}
    payload: object = None
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        form = {k: str(v) for k, v in (await request.form()).items()}
    elif body and "xml" not in kind:  # WeChat posts XML: its adapter reads the raw body
        try:
            payload = json.loads(body)
        except ValueError:
            raise InvalidInput("the webhook body is not JSON") from None
    return WebhookCall(str(request.url), dict(request.headers), body, form, payload)


def _checked(request: Request, context: ContextDep, provider: str, call: WebhookCall) -> object:
    adapters = get_adapters(request.app)
    assert isinstance(adapters, Adapters)
    adapter = adapters.named(provider)
    if adapter is None:
        raise NotFound(f"no provider {provider!r} is configured here")
    secret = context.settings.messaging_webhook_secret
    if not adapter.verify(call, secret.get_secret_value() if secret is not None else None):
        raise Unauthorized("the webhook call is not signed with the configured secret")
    return adapter


@router.get("/messaging/webhooks/{provider}/receipts", response_class=PlainTextResponse)
async def provider_echo(provider: str, request: Request, context: ContextDep) -> PlainTextResponse:
    """A provider checking its callback URL (WeChat's echostr), signed as its callbacks are."""
    call = WebhookCall(str(request.url), dict(request.headers), b"", {}, None)
    adapter = _checked(request, context, provider, call)
    echo = getattr(adapter, "echo", None)
    if echo is None:
        raise NotFound(f"provider {provider!r} checks no callback URL")
    return PlainTextResponse(echo(call))


@router.post("/messaging/webhooks/{provider}/receipts", response_model=WebhookRead)
async def provider_receipts(provider: str, request: Request, context: ContextDep, now: NowDep) -> Any:
    """Delivery reports from a provider, applied once however often they are sent."""
    call = await _call(request)
    adapter = _checked(request, context, provider, call)
    try:
        found = adapter.receipts(call)  # type: ignore[attr-defined]
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"unreadable receipts: {exc}") from None

    def apply() -> receipts.Applied:
        with context.sessions.begin() as session:
            return receipts.apply_receipts(session, provider, found, now)

    applied = await run_in_threadpool(apply)
    answer = getattr(adapter, "webhook_answer", None)
    if answer is not None:  # WeChat wants "success" and would retry (or tell the member) on anything else
        return PlainTextResponse(answer)
    return WebhookRead(received=applied.received, changed=applied.changed)


@router.post("/messaging/webhooks/{provider}/inbound")
async def provider_inbound(provider: str, request: Request, context: ContextDep, now: NowDep) -> WebhookRead:
    """Texts members sent back: TD/退订/STOP/T/unsubscribe opts them out of marketing SMS."""
    call = await _call(request)
    adapter = _checked(request, context, provider, call)
    try:
        found = adapter.inbound(call)  # type: ignore[attr-defined]
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"unreadable reply: {exc}") from None
    region = context.settings.default_phone_region

    def apply() -> receipts.Applied:
        with context.sessions.begin() as session:
            return receipts.apply_replies(session, context.keys, region, found, now)

    applied = await run_in_threadpool(apply)
    return WebhookRead(received=applied.received, changed=applied.changed)
