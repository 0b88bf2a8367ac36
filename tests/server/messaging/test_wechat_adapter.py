"""The WeChat adapter against a mock of the official account API: token, errcodes, receipts, signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr

from server.config import Settings
from server.core.errors import ConfigurationError
from server.messaging.adapters import wechat
from server.messaging.adapters.base import Outgoing, WebhookCall
from server.messaging.adapters.registry import build_adapters
from server.messaging.adapters.wechat import WeChatAdapter

BASE = "https://wechat.invalid"
OPENID = "oAisle_member_openid_0001"
MESSAGE = Outgoing(
    key="tier-change:41",
    member_id=7,
    channel="wechat",
    purpose="tier_change",
    to=OPENID,
    text="您已升级为金卡会员",
    params={"old_tier": "银卡", "new_tier": "金卡"},
)
NOW = 1_790_000_000.0  # the wall clock the adapter's signature check is given


class Api:
    """A mock of WeChat: stable_token hands out tok-1, tok-2, ...; template/send answers from `sends`."""

    def __init__(self, *sends: dict[str, Any]) -> None:
        self.sends = list(sends)
        self.tokens = 0
        self.token_bodies: list[dict[str, Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if request.url.path == "/cgi-bin/stable_token":
                self.token_bodies.append(json.loads(request.content))
                self.tokens += 1
                return httpx.Response(200, json={"access_token": f"tok-{self.tokens}", "expires_in": 7200})
            assert request.url.path == "/cgi-bin/message/template/send"
            self.sent.append((request.url.params["access_token"], json.loads(request.content)))
            answer = self.sends.pop(0) if self.sends else {"errcode": 0, "errmsg": "ok", "msgid": 1}
            return httpx.Response(200, json=answer)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _adapter(handler: Callable[[httpx.Request], httpx.Response], clock: Ticks | None = None) -> WeChatAdapter:
    return WeChatAdapter(
        "wx-app",
        "app-secret",
        {"tier_change": "TPL-TIER"},
        {"tier_change": {"new_tier": "keyword1", "old_tier": "keyword2"}},
        "callback-token",
        BASE,
        httpx.Client(transport=httpx.MockTransport(handler)),
        clock=clock or Ticks(),
        wall=lambda: NOW,
    )


def test_the_token_is_fetched_once_cached_and_fetched_again_near_its_end() -> None:
    api, clock = Api(), Ticks()
    adapter = _adapter(api, clock)
    first = adapter.send(MESSAGE)
    adapter.send(MESSAGE)
    assert (first.outcome, first.provider_id) == ("accepted", "1")
    assert api.tokens == 1 and [token for token, _ in api.sent] == ["tok-1", "tok-1"]
    assert api.token_bodies[0] == {
        "grant_type": "client_credential",
        "appid": "wx-app",
        "secret": "app-secret",
        "force_refresh": False,
    }
    clock.now += 7200 - wechat.TOKEN_MARGIN + 1  # inside the margin before expires_in
    adapter.send(MESSAGE)
    assert api.tokens == 2 and api.sent[-1][0] == "tok-2"


def test_the_message_carries_the_template_its_keywords_and_the_key_as_client_msg_id() -> None:
    api = Api()
    _adapter(api).send(MESSAGE)
    body = api.sent[0][1]
    assert body == {
        "touser": OPENID,
        "template_id": "TPL-TIER",
        "client_msg_id": "tier-change:41",
        "data": {"keyword1": {"value": "金卡"}, "keyword2": {"value": "银卡"}},
    }
    long_key = "x" * 100
    assert len(wechat.client_msg_id(long_key)) == 64 and wechat.client_msg_id(long_key) != long_key[:64]


@pytest.mark.parametrize("code", [40001, 42001])
def test_a_refused_token_is_fetched_again_once_and_the_send_retried(code: int) -> None:
    api = Api({"errcode": code, "errmsg": "invalid credential"}, {"errcode": 0, "msgid": 99})
    result = _adapter(api).send(MESSAGE)
    assert (result.outcome, result.provider_id) == ("accepted", "99")
    assert [token for token, _ in api.sent] == ["tok-1", "tok-2"] and api.tokens == 2


def test_a_token_refused_twice_is_transient_not_a_loop() -> None:
    api = Api(*[{"errcode": 40001, "errmsg": "invalid credential"}] * 5)
    result = _adapter(api).send(MESSAGE)
    assert result.outcome == "transient" and len(api.sent) == 2


def test_stable_token_handing_back_the_refused_token_is_forced_to_a_new_one() -> None:
    calls: list[dict[str, Any]] = []

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            body = json.loads(request.content)
            calls.append(body)
            token = "fresh" if body["force_refresh"] else "stale"
            return httpx.Response(200, json={"access_token": token, "expires_in": 7200})
        if request.url.params["access_token"] == "stale":
            return httpx.Response(200, json={"errcode": 40001, "errmsg": "invalid credential"})
        return httpx.Response(200, json={"errcode": 0, "msgid": 5})

    assert _adapter(api).send(MESSAGE).outcome == "accepted"
    assert [c["force_refresh"] for c in calls] == [False, False, True]


def test_send_threads_share_one_token_fetch() -> None:
    api = Api()
    adapter = _adapter(api)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: adapter.send(MESSAGE).outcome, range(32)))
    assert outcomes == ["accepted"] * 32 and api.tokens == 1


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ({"errcode": 0, "errmsg": "ok", "msgid": 200228332}, "accepted"),
        ({"errcode": 43004, "errmsg": "require subscribe"}, "failed"),
        ({"errcode": 40003, "errmsg": "invalid openid"}, "failed"),
        ({"errcode": 40037, "errmsg": "invalid template_id"}, "failed"),
        ({"errcode": 45009, "errmsg": "reach max api daily quota limit"}, "transient"),
        ({"errcode": -1, "errmsg": "system error"}, "transient"),
        ({"unexpected": True}, "unknown"),
    ],
)
def test_errcodes_map_to_outcomes(answer: dict[str, Any], outcome: str) -> None:
    result = _adapter(Api(answer)).send(MESSAGE)
    assert result.outcome == outcome
    if outcome == "failed":
        assert str(answer["errcode"]) in result.detail


def test_network_errors_before_and_after_the_request() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
        raise httpx.ConnectError("refused", request=request)

    def timed_out(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
        raise httpx.ReadTimeout("no answer", request=request)

    def no_token(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)  # only the token call: nothing was sent

    assert _adapter(refused).send(MESSAGE).outcome == "transient"
    assert _adapter(timed_out).send(MESSAGE).outcome == "unknown"
    assert _adapter(no_token).send(MESSAGE).outcome == "transient"


def test_a_purpose_without_a_template_fails_without_calling_wechat() -> None:
    api = Api()
    result = _adapter(api).send(Outgoing("k", 7, "wechat", "coupon_issued", OPENID, "text"))
    assert (
        result.outcome == "failed"
        and "coupon_issued" in result.detail
        and "AISLE_WECHAT_TEMPLATES" in result.detail
    )
    assert api.tokens == 0 and api.sent == []


def test_query_never_answers_not_found() -> None:
    assert _adapter(Api()).query(MESSAGE, None, None) == "unknown"
    assert _adapter(Api()).query(MESSAGE, "200228332", None) == "unknown"


def _signed(token: str = "callback-token", stamp: int = int(NOW), **extra: str) -> str:
    query = {"timestamp": str(stamp), "nonce": "n0nce"} | extra
    query["signature"] = wechat.sign(token, query["timestamp"], query["nonce"])
    return "https://aisle.example/api/v1/messaging/webhooks/wechat/receipts?" + urlencode(query)


def _call(url: str, body: bytes = b"") -> WebhookCall:
    return WebhookCall(url, {"content-type": "text/xml"}, body, {}, None)


def test_the_signature_check_rejects_a_forged_or_stale_call() -> None:
    adapter = _adapter(Api())
    assert adapter.verify(_call(_signed()), None)
    assert not adapter.verify(_call(_signed(token="guessed")), None)
    assert not adapter.verify(_call(_signed(stamp=int(NOW) - 3600)), None)  # replayed an hour later
    tampered = _signed().replace("nonce=n0nce", "nonce=other")
    assert not adapter.verify(_call(tampered), None)
    assert not adapter.verify(_call("https://aisle.example/hook"), "the shared secret is not WeChat's")
    assert adapter.echo(_call(_signed(echostr="abc123"))) == "abc123"


def _event(status: str, msg_id: str = "200163836", event: str = "TEMPLATESENDJOBFINISH") -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>1395658920</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<MsgID>{msg_id}</MsgID><Status><![CDATA[{status}]]></Status></xml>"
    ).encode()


def test_template_send_job_finish_events_become_receipts() -> None:
    adapter = _adapter(Api())
    (done,) = adapter.receipts(_call("", _event("success")))
    assert (done.status, done.provider_id, done.key) == ("delivered", "200163836", None)
    (blocked,) = adapter.receipts(_call("", _event("failed:user block")))
    assert (blocked.status, blocked.detail) == ("failed", "user block")
    (system,) = adapter.receipts(_call("", _event("failed: system failed")))
    assert (system.status, system.detail) == ("failed", "system failed")
    assert adapter.receipts(_call("", _event("", event="subscribe"))) == []  # the account's other events
    for bad in (b"", b"not xml", b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>', b"<json/>"):
        with pytest.raises(ValueError):
            adapter.receipts(_call("", bad))


def test_the_registry_builds_the_adapter_and_names_a_missing_credential(settings: Settings) -> None:
    settings.messaging_wechat_provider = "wechat"
    settings.wechat_app_id = "wx-app"
    with pytest.raises(ConfigurationError, match="AISLE_WECHAT_APP_SECRET"):
        build_adapters(settings, None)  # type: ignore[arg-type]
    settings.wechat_app_secret = SecretStr("s")
    built = build_adapters(settings, None)  # type: ignore[arg-type]
    assert isinstance(built.by_channel["wechat"], WeChatAdapter) and built.named("wechat") is not None
    assert "wechat" in built.buckets  # its rate limit applies
