"""WeChat Official Account template messages (模板消息): service notices to a member's openid.

Why template messages rather than the subscribe-message API (`/cgi-bin/message/subscribe/bizsend`):
a template message reaches any follower of the official account without a per-message subscription the
member must have tapped first, which a tier change or a coupon notice cannot wait for; its send answers
a msgid and WeChat pushes TEMPLATESENDJOBFINISH with that msgid, so delivery is reported; and it takes
`client_msg_id`, WeChat's idempotency token (one message per openid and id within 10 minutes), which we
set from the outbox key. Both APIs forbid marketing: the dispatcher never hands this adapter one.

The access token comes from `POST /cgi-bin/stable_token`: unlike `/cgi-bin/token`, it hands every
caller the same token until it expires, so several `aisle worker`s do not invalidate one another's.
It is cached until shortly before `expires_in`, shared by the dispatcher's send threads under a lock,
and fetched again once when WeChat says it is invalid or expired (40001, 40014, 42001).

WeChat has no query API for template messages: `query` answers "unknown", which the dispatcher keeps
as unknown (checking again later) and never sends again. Receipts arrive as the official account's
event XML on `/api/v1/messaging/webhooks/wechat/receipts` (plaintext mode), checked by WeChat's
signature with `wechat_callback_token`; the same URL answers WeChat's GET echostr check.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from server.messaging.adapters.base import (
    Known,
    Match,
    Outcome,
    Outgoing,
    Receipt,
    SendResult,
    WebhookCall,
    WebhookOnly,
    http_outcome,
    status_outcome,
)

TOKEN_INVALID = frozenset({40001, 40014, 42001})  # the token was refused: fetch a new one, send again
FAILED = frozenset({43004, 40003, 40037})  # not subscribed, invalid openid, invalid template: definite
BUSY = frozenset({-1, 45009})  # system busy, rate limit reached: nothing was sent, try later
TOKEN_MARGIN = 300.0  # seconds before `expires_in` that a cached token is fetched again
SIGNATURE_WINDOW = 300  # seconds a signed callback may be old (the signature covers no body)


class WeChatAdapter(WebhookOnly):
    """Sends WeChat template messages for one official account."""

    name = "wechat"
    remote = True  # an HTTP API: the dispatcher may overlap its calls
    webhook_answer = "success"  # what WeChat expects back from its callback, receipt or not

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        templates: dict[str, str],
        fields: dict[str, dict[str, str]],
        callback_token: str,
        base_url: str,
        client: httpx.Client,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.app_id, self.app_secret, self.callback_token = app_id, app_secret, callback_token
        self.templates, self.fields, self.client = templates, fields, client
        self.base = base_url.rstrip("/")
        self.clock, self.wall = clock, wall
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    # -- the access token ------------------------------------------------------------------------

    def access_token(self, refused: str | None = None) -> str:
        """The cached token, or a new one when it is near its end or `refused` is the cached one."""
        with self._lock:  # one fetch at a time: the send threads share the token
            if self._token is not None and self._token != refused and self.clock() < self._expires:
                return self._token
            token, expires_in = self._fetch(force=False)
            if refused is not None and token == refused:  # stable_token hands out the same until it ends
                token, expires_in = self._fetch(force=True)
            self._token, self._expires = token, self.clock() + max(expires_in - TOKEN_MARGIN, 0.0)
            return token

    def _fetch(self, force: bool) -> tuple[str, float]:
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.app_secret,
            "force_refresh": force,
        }
        try:
            answer = self.client.post(f"{self.base}/cgi-bin/stable_token", json=body)
        except httpx.HTTPError as exc:  # no message went out: whatever happened, sending later is safe
            raise _NoToken(SendResult("transient", detail=f"access token: {type(exc).__name__}")) from None
        if answer.status_code >= 400:
            raise _NoToken(status_outcome(answer.status_code, f"access token: {answer.text[:200]}"))
        found = _json(answer)
        token = found.get("access_token")
        if not isinstance(token, str) or not token:
            code = _code(found)
            outcome: Outcome = "transient" if code in BUSY or code is None else "failed"
            raise _NoToken(SendResult(outcome, detail=f"access token: {_said(found)}"))
        return token, float(found.get("expires_in") or 7200)

    # -- sending ---------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        """template/send with the purpose's template id, the variables as data and client_msg_id = key."""
        template = self.templates.get(message.purpose)
        if not template:
            return SendResult(
                "failed",
                detail=f"no WeChat template id for {message.purpose} (AISLE_WECHAT_TEMPLATES)",
            )
        body = {
            "touser": message.to,
            "template_id": template,
            "client_msg_id": client_msg_id(message.key),
            "data": self.data(message),
        }
        refused: str | None = None
        for _ in range(2):  # a refused token is fetched again once, then the send is tried again
            try:
                token = self.access_token(refused)
            except _NoToken as exc:
                return exc.result
            try:
                answer = self.client.post(
                    f"{self.base}/cgi-bin/message/template/send", params={"access_token": token}, json=body
                )
            except httpx.HTTPError as exc:
                return http_outcome(exc)
            if answer.status_code >= 400:
                return status_outcome(answer.status_code, answer.text)
            found = _json(answer)
            code = _code(found)
            if code not in TOKEN_INVALID:
                return _result(code, found)
            refused = token
        return SendResult("transient", detail=f"the access token was refused twice: {_said(found)}")

    def data(self, message: Outgoing) -> dict[str, dict[str, str]]:
        """Each rendered variable as {"keyword": {"value": ...}}, named as the purpose's template names it."""
        names = self.fields.get(message.purpose, {})
        return {names.get(name, name): {"value": value} for name, value in message.params.items()}

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """Always "unknown": WeChat cannot be asked about a template message (never "not_found", which
        would queue it again)."""
        return "unknown"

    # -- callbacks -------------------------------------------------------------------------------

    def verify(self, call: WebhookCall, secret: str | None) -> bool:
        """WeChat's signature: sha1 of the sorted callback token, timestamp and nonce, and a recent time."""
        query = _query(call.url)
        signature, stamp, nonce = (
            query.get("signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
        )
        if not (self.callback_token and signature and stamp.isdigit() and nonce):
            return False
        if abs(self.wall() - int(stamp)) > SIGNATURE_WINDOW:  # a captured URL cannot be replayed later
            return False
        return hmac.compare_digest(sign(self.callback_token, stamp, nonce), signature.lower())

    def echo(self, call: WebhookCall) -> str:
        """The echostr WeChat sends when the callback URL is saved (after `verify`)."""
        return _query(call.url).get("echostr", "")

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """TEMPLATESENDJOBFINISH events; any other event or message on the account's URL is no receipt."""
        root = parse_xml(call.body)
        if root.findtext("Encrypt") is not None:
            raise ValueError("an encrypted WeChat callback: set the official account to plaintext mode")
        if root.findtext("MsgType") != "event" or root.findtext("Event") != "TEMPLATESENDJOBFINISH":
            return []
        msg_id, status = (root.findtext("MsgID") or "").strip(), (root.findtext("Status") or "").strip()
        if not msg_id:
            raise ValueError("a TEMPLATESENDJOBFINISH event without MsgID")
        if status == "success":
            return [Receipt("delivered", provider_id=msg_id)]
        return [Receipt("failed", provider_id=msg_id, detail=status.removeprefix("failed:").strip()[:200])]


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()


def client_msg_id(key: str) -> str:
    """The outbox key as WeChat's idempotency id (at most 64 bytes: a longer key is hashed)."""
    return key if len(key.encode()) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def parse_xml(body: bytes) -> ET.Element:
    """A callback's XML; ValueError for anything else (a DTD is refused: WeChat never sends one)."""
    if not body.strip():
        raise ValueError("an empty WeChat callback")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ValueError("a WeChat callback with a DTD")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"not WeChat's XML: {exc}") from None
    if root.tag != "xml":
        raise ValueError("not WeChat's <xml> callback")
    return root


def _result(code: int | None, found: dict[str, Any]) -> SendResult:
    if code == 0:
        return SendResult("accepted", provider_id=str(found.get("msgid") or "") or None)
    if code in BUSY:
        return SendResult("transient", detail=_said(found))
    if code is None:  # an answer we cannot read: the message may have gone
        return SendResult("unknown", detail="an unreadable answer from WeChat")
    return SendResult("failed", detail=_said(found))


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _code(found: dict[str, Any]) -> int | None:
    code = found.get("errcode")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _said(found: dict[str, Any]) -> str:
    return f"errcode {found.get('errcode')}: {found.get('errmsg', '')}"[:300]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class _NoToken(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.detail)
        self.result = result
