"""WeChat through the app: staff bind a member's openid, service notices go to it, marketing never does."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, MemberChannelIdentity, OutboxMessage
from server.messaging.adapters.wechat import sign
from server.messaging.outbox import enqueue
from tests.fixtures.factories import World, auth, make_member
from tests.server.messaging.conftest import Clock, Dispatchers

OPENID = "oAisle_member_openid_0001"
HOOK = "/api/v1/messaging/webhooks/wechat/receipts"


class Api:
    """A mock of WeChat's API; every request it saw."""

    def __init__(self, send: Any = None) -> None:
        self.send = send or (lambda request: httpx.Response(200, json={"errcode": 0, "msgid": 200228332}))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 7200})
        response: httpx.Response = self.send(request)
        return response

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith("/template/send")]


def _wechat(context: AppContext) -> None:
    settings = context.settings
    settings.messaging_wechat_provider = "wechat"
    settings.wechat_app_id = "wx-app"
    settings.wechat_app_secret = SecretStr("app-secret")
    settings.wechat_templates = {"tier_change": "TPL-TIER"}
    settings.wechat_template_fields = {"tier_change": {"new_tier": "keyword1"}}
    settings.wechat_callback_token = SecretStr("callback-token")


def _bind(client: TestClient, context: AppContext, world: World, member: Member, openid: str = OPENID) -> Any:
    url = f"/api/v1/members/{member.id}/wechat"
    return client.put(url, json={"openid": openid}, headers=auth(context, world.clerk_a))


def _row(session: Session, row_id: int) -> OutboxMessage:
    session.expire_all()
    found = session.get(OutboxMessage, row_id)
    assert found is not None
    return found


def _tier(session: Session, member: Member, key: str, clock: Clock) -> OutboxMessage:
    row = enqueue(
        session,
        member.id,
        "tier_change",
        {"old_tier": "银卡", "new_tier": "金卡"},
        key=key,
        channel="wechat",
        now=clock.now,
    )
    session.commit()
    return row


def _signed(**extra: str) -> str:
    stamp, nonce = str(int(time.time())), "n0nce"
    return f"{HOOK}?" + urlencode(
        {"timestamp": stamp, "nonce": nonce} | extra | {"signature": sign("callback-token", stamp, nonce)}
    )


def test_staff_of_the_members_store_bind_and_unbind_an_openid(
    client: TestClient,
    session: Session,
    context: AppContext,
    world: World,
    member: Member,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _wechat(context)
    other = make_member(session, context.keys, world.store_a, name="Wang Fang")
    session.commit()
    caplog.set_level(logging.DEBUG)
    bound = _bind(client, context, world, member)
    assert bound.status_code == 200, bound.text
    assert bound.json()["openid_masked"] == "oAis…0001" and OPENID not in bound.text
    assert _bind(client, context, world, member).status_code == 200  # the same openid again: no change
    taken = _bind(client, context, world, other)
    assert taken.status_code == 409 and OPENID not in taken.text
    url = f"/api/v1/members/{member.id}/wechat"
    assert client.put(url, json={"openid": OPENID}, headers=auth(context, world.clerk_b)).status_code == 403
    assert client.delete(url, headers=auth(context, world.clerk_b)).status_code == 403
    assert client.put(url, json={"openid": OPENID}, headers=auth(context, world.analyst)).status_code == 403
    missing = "/api/v1/members/999999/wechat"
    assert (
        client.put(missing, json={"openid": OPENID}, headers=auth(context, world.clerk_a)).status_code == 404
    )
    assert client.get(url, headers=auth(context, world.cashier_a)).json()["app_id"] == "wx-app"
    stored = session.scalars(select(MemberChannelIdentity)).all()
    assert len(stored) == 1 and OPENID.encode() not in stored[0].openid_encrypted
    assert OPENID not in stored[0].openid_hash
    assert client.delete(url, headers=auth(context, world.clerk_a)).status_code == 204
    assert client.get(url, headers=auth(context, world.clerk_a)).status_code == 404
    assert client.delete(url, headers=auth(context, world.clerk_a)).status_code == 404
    assert _bind(client, context, world, other).status_code == 200  # free again once unbound
    assert all(OPENID not in r.getMessage() for r in caplog.records)


def test_a_service_notice_reaches_the_bound_openid_and_its_receipt_applies_once(
    client: TestClient,
    session: Session,
    context: AppContext,
    world: World,
    member: Member,
    clock: Clock,
    dispatchers: Dispatchers,
) -> None:
    _wechat(context)
    assert _bind(client, context, world, member).status_code == 200
    row = _tier(session, member, "tier-change:1", clock)
    api = Api()
    assert dispatchers(httpx.MockTransport(api)).run_once() == 1
    (body,) = api.sent
    assert body["touser"] == OPENID and body["template_id"] == "TPL-TIER"
    assert body["client_msg_id"] == "tier-change:1"
    assert body["data"]["keyword1"] == {"value": "金卡"} and body["data"]["old_tier"] == {"value": "银卡"}
    sent = _row(session, row.id)
    assert (sent.status, sent.provider, sent.provider_id) == ("sent", "wechat", "200228332")
    event = (
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[x]]></FromUserName>"
        "<CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200228332</MsgID>"
        "<Status><![CDATA[success]]></Status></xml>"
    )
    xml = {"content-type": "text/xml"}
    forged = client.post(HOOK + "?timestamp=1&nonce=2&signature=abc", content=event, headers=xml)
    assert forged.status_code == 401 and _row(session, row.id).status == "sent"
    first = client.post(_signed(), content=event, headers=xml)
    again = client.post(_signed(), content=event, headers=xml)
    assert (first.status_code, first.text, again.text) == (200, "success", "success")
    done = _row(session, row.id)
    assert done.status == "delivered" and done.finished_at is not None
    failed_late = event.replace("success", "failed:user block")
    assert client.post(_signed(), content=failed_late, headers=xml).status_code == 200
    assert _row(session, row.id).status == "delivered"  # a final state stays
    echo = client.get(_signed(echostr="echo-1234"))
    assert (echo.status_code, echo.text) == (200, "echo-1234")
    assert client.get(HOOK + "?timestamp=1&nonce=2&signature=abc&echostr=x").status_code == 401


def test_marketing_never_goes_out_on_wechat(
    client: TestClient,
    session: Session,
    context: AppContext,
    world: World,
    member: Member,
    clock: Clock,
    dispatchers: Dispatchers,
) -> None:
    _wechat(context)
    assert _bind(client, context, world, member).status_code == 200
    ask = {"text": "Double points this weekend", "channel": "wechat", "idempotency_key": "wk-1"}
    refused = client.post(
        f"/api/v1/members/{member.id}/messages", json=ask, headers=auth(context, world.manager_a)
    )
    assert refused.status_code == 422 and "service notices only" in refused.json()["detail"]
    # A marketing row that reached the wechat channel another way is still stopped under the claim.
    row = enqueue(session, member.id, "member_day", {"event_date": "2026-03-08"}, key="day", now=clock.now)
    session.commit()
    session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(channel="wechat"))
    session.commit()
    api = Api()
    dispatchers(httpx.MockTransport(api)).run_once()
    held = _row(session, row.id)
    assert held.status == "suppressed" and "service notices only" in (held.reason or "")
    assert api.requests == []  # not even a token was fetched


def test_a_member_without_a_binding_is_not_sent_to(
    session: Session, context: AppContext, member: Member, clock: Clock, dispatchers: Dispatchers
) -> None:
    _wechat(context)
    row = _tier(session, member, "tier-change:2", clock)
    api = Api()
    dispatchers(httpx.MockTransport(api)).run_once()
    found = _row(session, row.id)
    assert found.status == "failed" and "no WeChat binding" in (found.reason or "")
    assert api.sent == []


def test_a_send_of_unknown_fate_is_never_sent_again(
    client: TestClient,
    session: Session,
    context: AppContext,
    world: World,
    member: Member,
    clock: Clock,
    dispatchers: Dispatchers,
) -> None:
    _wechat(context)
    assert _bind(client, context, world, member).status_code == 200
    row = _tier(session, member, "tier-change:3", clock)

    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    api = Api(lost)
    dispatcher = dispatchers(httpx.MockTransport(api))
    dispatcher.run_once()
    assert _row(session, row.id).status == "unknown"
    settings = dispatcher.settings
    for _ in range(3):  # well past the claim and the grace after which an SMS the provider lost is re-sent
        clock.advance(seconds=settings.messaging_claim_seconds + settings.messaging_reconcile_grace_seconds)
        dispatcher.run_once()
    assert _row(session, row.id).status == "unknown" and len(api.sent) == 1
