"""Alibaba Cloud SMS (dysmsapi 2017-05-25) over HTTP with its HMAC-SHA1 signature; OutId = the outbox key.

Alibaba sends only pre-approved templates: `aliyun_sms_templates` maps a purpose to its template code
('*' for the rest) and the message's rendered variables are its TemplateParam. QuerySendDetails lists a
number's messages of a day with their OutId, which reconciles a send whose answer was lost. Delivery
reports and replies arrive as the HTTP batch push (JSON lists) on the webhooks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from server.messaging.adapters.base import (
    Inbound,
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

TRANSIENT = ("Throttling", "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "ServiceUnavailable")


def encode(value: str) -> str:
    """Alibaba's percent-encoding (RFC 3986: space %20, * %2A, ~ kept)."""
    return quote(value, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The request's Signature: base64 HMAC-SHA1 of METHOD&%2F&encoded(sorted query) with secret + '&'."""
    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{encode('/')}&{encode(query)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def national(phone: str) -> str:
    """Mainland numbers without +86, others with their 00 prefix, as dysmsapi expects."""
    if phone.startswith("+86"):
        return phone[3:]
    return "00" + phone[1:] if phone.startswith("+") else phone


class AliyunAdapter(WebhookOnly):
    """Sends SMS through Alibaba Cloud."""

    name = "aliyun"
    remote = True  # an HTTP API: the dispatcher may overlap its calls

    def __init__(
        self,
        key_id: str,
        secret: str,
        sign_name: str,
        templates: dict[str, str],
        endpoint: str,
        client: httpx.Client,
    ) -> None:
        self.key_id, self.secret, self.sign_name = key_id, secret, sign_name
        self.templates, self.endpoint, self.client = templates, endpoint.rstrip("/") + "/", client

    def _call(self, action: str, extra: dict[str, str]) -> httpx.Response:
        params = {
            "AccessKeyId": self.key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **extra,
        }
        params["Signature"] = sign(params, self.secret)
        return self.client.get(self.endpoint, params=params)

    def send(self, message: Outgoing) -> SendResult:
        """SendSms with the purpose's template, its variables and OutId = key."""
        template = self.templates.get(message.purpose) or self.templates.get("*")
        if not template:
            return SendResult("failed", detail=f"no Alibaba Cloud template code for {message.purpose}")
        try:
            answer = self._call(
                "SendSms",
                {
                    "PhoneNumbers": national(message.to),
                    "SignName": self.sign_name,
                    "TemplateCode": template,
                    "TemplateParam": json.dumps(message.params, ensure_ascii=False),
                    "OutId": message.key,
                },
            )
        except httpx.HTTPError as exc:
            return http_outcome(exc)
        if answer.status_code >= 500:
            return status_outcome(answer.status_code, answer.text)
        body = answer.json()
        code = str(body.get("Code", ""))
        if code == "OK":
            return SendResult("accepted", provider_id=body.get("BizId"))
        outcome: Outcome = "transient" if code.startswith(TRANSIENT) else "failed"
        return SendResult(outcome, detail=f"{code}: {body.get('Message', '')}"[:300])

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """QuerySendDetails for the number on the day of the send, matched by OutId."""
        day = (sent_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d")
        extra = {"PhoneNumber": national(message.to), "SendDate": day, "PageSize": "50", "CurrentPage": "1"}
        if provider_id:
            extra["BizId"] = provider_id
        try:
            body = self._call("QuerySendDetails", extra).json()
        except (httpx.HTTPError, ValueError):
            return "unknown"
        if body.get("Code") != "OK":
            return "unknown"
        for item in body.get("SmsSendDetailDTOs", {}).get("SmsSendDetailDTO", []):
            if item.get("OutId") == message.key:
                return {3: "delivered", 2: "failed"}.get(int(item.get("SendStatus", 1)), "sent")  # type: ignore[return-value]
        return "not_found"

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """The SmsReport push: a JSON list of {biz_id, out_id, success, err_code}."""
        if not isinstance(call.json, list):
            raise ValueError("expected Alibaba Cloud's SmsReport list")
        return [
            Receipt(
                "delivered" if item.get("success") else "failed",
                key=item.get("out_id") or None,
                provider_id=item.get("biz_id") or None,
                detail=str(item.get("err_code") or ""),
            )
            for item in call.json
        ]

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """The SmsUp push: a JSON list of {phone_number, content}."""
        if not isinstance(call.json, list):
            raise ValueError("expected Alibaba Cloud's SmsUp list")
        return [Inbound(str(i.get("phone_number", "")), str(i.get("content", ""))) for i in call.json]
