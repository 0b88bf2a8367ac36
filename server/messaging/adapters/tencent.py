"""Tencent Cloud SMS (2021-01-11) over HTTP with TC3-HMAC-SHA256; SessionContext = the outbox key.

Like Alibaba, Tencent sends approved templates only: `tencent_sms_templates` maps a purpose to a template
id and the template's variables go, in the order our template uses them, as TemplateParamSet.
PullSmsSendStatusByPhoneNumber reconciles a lost answer by SessionContext; status reports and replies
arrive on the webhooks as Tencent's callback JSON lists.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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

VERSION = "2021-01-11"
TRANSIENT = ("RequestLimitExceeded", "InternalError", "LimitExceeded", "FailedOperation.FailResolvePacket")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def authorization(secret_id: str, secret_key: str, host: str, payload: str, timestamp: int) -> str:
    """The TC3-HMAC-SHA256 Authorization header for a JSON POST to `host`."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\n"
        f"content-type;host\n{hashlib.sha256(payload.encode()).hexdigest()}"
    )
    scope = f"{day}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


class TencentAdapter(WebhookOnly):
    """Sends SMS through Tencent Cloud."""

    name = "tencent"
    remote = True  # an HTTP API: the dispatcher may overlap its calls

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        templates: dict[str, str],
        region: str,
        endpoint: str,
        client: httpx.Client,
    ) -> None:
        self.secret_id, self.secret_key, self.app_id, self.sign_name = (
            secret_id,
            secret_key,
            app_id,
            sign_name,
        )
        self.templates, self.region, self.endpoint, self.client = templates, region, endpoint, client
        self.host = urlsplit(endpoint).netloc

    def _call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(body, ensure_ascii=False)
        stamp = int(time.time())
        headers = {
            "Authorization": authorization(self.secret_id, self.secret_key, self.host, payload, stamp),
            "Content-Type": "application/json; charset=utf-8",
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(stamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }
        answer = self.client.post(self.endpoint, content=payload.encode(), headers=headers)
        if answer.status_code >= 500:
            raise _Status(answer.status_code, answer.text)
        found = answer.json().get("Response", {})
        return found if isinstance(found, dict) else {}

    def send(self, message: Outgoing) -> SendResult:
        """SendSms with the purpose's template id, its parameters in order and SessionContext = key."""
        template = self.templates.get(message.purpose) or self.templates.get("*")
        if not template:
            return SendResult("failed", detail=f"no Tencent Cloud template id for {message.purpose}")
        body = {
            "PhoneNumberSet": [message.to],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template,
            "TemplateParamSet": list(message.params.values()),
            "SessionContext": message.key,
        }
        try:
            found = self._call("SendSms", body)
        except _Status as exc:
            return status_outcome(exc.status, exc.text)
        except httpx.HTTPError as exc:
            return http_outcome(exc)
        error = found.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            outcome: Outcome = "transient" if code.startswith(TRANSIENT) else "failed"
            return SendResult(outcome, detail=f"{code}: {error.get('Message', '')}"[:300])
        statuses = found.get("SendStatusSet") or [{}]
        first = statuses[0] if isinstance(statuses, list) and statuses else {}
        code = str(first.get("Code", ""))
        if code == "Ok":
            return SendResult("accepted", provider_id=first.get("SerialNo"))
        final: Outcome = "transient" if code.startswith(TRANSIENT) else "failed"
        return SendResult(final, detail=f"{code}: {first.get('Message', '')}"[:300])

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """PullSmsSendStatusByPhoneNumber since the send, matched by SessionContext (or serial number)."""
        begin = (sent_at or datetime.now(UTC)) - timedelta(hours=1)
        body = {
            "BeginTime": int(begin.timestamp()),
            "Offset": 0,
            "Limit": 100,
            "PhoneNumber": message.to,
            "SmsSdkAppId": self.app_id,
        }
        try:
            found = self._call("PullSmsSendStatusByPhoneNumber", body)
        except (_Status, httpx.HTTPError, ValueError):
            return "unknown"
        if "Error" in found:
            return "unknown"
        for item in found.get("PullSmsSendStatusSet") or []:
            if item.get("SessionContext") == message.key or (
                provider_id and item.get("SerialNo") == provider_id
            ):
                return "delivered" if item.get("ReportStatus") == "SUCCESS" else "failed"
        return "not_found"

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """Status reports: a JSON list of {sid, report_status, errmsg}."""
        if not isinstance(call.json, list):
            raise ValueError("expected Tencent Cloud's status report list")
        return [
            Receipt(
                "delivered" if item.get("report_status") == "SUCCESS" else "failed",
                key=item.get("ext") or None,
                provider_id=item.get("sid") or None,
                detail=str(item.get("errmsg") or ""),
            )
            for item in call.json
        ]

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """A reply: {nationcode, mobile, text}."""
        item = call.json
        if not isinstance(item, dict) or "mobile" not in item:
            raise ValueError("expected Tencent Cloud's reply {nationcode, mobile, text}")
        return [Inbound(f"+{item.get('nationcode', '86')}{item['mobile']}", str(item.get("text", "")))]


class _Status(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status, self.text = status, text
