"""Twilio's Messages API over HTTP; the outbox key rides in the status callback URL.

Twilio takes no idempotency key on a send, so a send whose answer was lost is reconciled by listing the
messages to the number since the claim and matching the text; the status callback (signed with
X-Twilio-Signature) carries the key back and reports delivery. Replies (STOP ...) come to the inbound
webhook. `twilio_base_url` may point at any Twilio-compatible gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx

from server.messaging.adapters.base import (
    Inbound,
    Known,
    Match,
    Outgoing,
    Receipt,
    SendResult,
    WebhookCall,
    http_outcome,
    status_outcome,
)

DELIVERED, FAILED = {"delivered", "read"}, {"failed", "undelivered", "canceled"}


class TwilioAdapter:
    """Sends SMS through Twilio (or a compatible gateway)."""

    name = "twilio"
    remote = True  # an HTTP API: the dispatcher may overlap its calls

    def __init__(
        self, sid: str, token: str, sender: str, base_url: str, callback_url: str, client: httpx.Client
    ) -> None:
        self.sid, self.token, self.sender = sid, token, sender
        self.base = base_url.rstrip("/") + f"/2010-04-01/Accounts/{sid}/Messages.json"
        self.callback_url, self.client = callback_url, client

    def send(self, message: Outgoing) -> SendResult:
        """POST the message with a status callback naming its key."""
        form = {"To": message.to, "From": self.sender, "Body": message.text}
        if self.callback_url:
            form["StatusCallback"] = f"{self.callback_url}?key={quote(message.key, safe='')}"
        try:
            answer = self.client.post(self.base, data=form, auth=(self.sid, self.token))
        except httpx.HTTPError as exc:
            return http_outcome(exc)
        if answer.status_code >= 300:
            return status_outcome(answer.status_code, answer.text)
        body = answer.json()
        if body.get("status") in FAILED:
            return SendResult("failed", body.get("sid"), str(body.get("error_message") or body.get("status")))
        return SendResult("accepted", provider_id=body.get("sid"))

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """The message's status by its sid, else a message to the number since the send with its text
        whose sid no other outbox row holds (Twilio keeps no key of ours to look up)."""
        try:
            if provider_id:
                url = self.base.removesuffix(".json") + f"/{provider_id}.json"
                answer = self.client.get(url, auth=(self.sid, self.token))
                if answer.status_code == 404:
                    return "not_found"
                answer.raise_for_status()
                return _known(answer.json().get("status"))
            since = (sent_at or datetime.now().astimezone()) - timedelta(days=1)
            params = {"To": message.to, "DateSent>": since.date().isoformat(), "PageSize": "100"}
            answer = self.client.get(self.base, params=params, auth=(self.sid, self.token))
            answer.raise_for_status()
        except httpx.HTTPError:
            return "unknown"
        # Oldest first (Twilio lists newest first): rows are reconciled oldest first, in sending order.
        items = sorted(answer.json().get("messages", []), key=lambda m: _sent_time(m.get("date_created")))
        for item in items:
            sid = item.get("sid")
            if item.get("body") == message.text and sid and sid not in taken:
                return Match(_known(item.get("status")), str(sid))
        return "not_found"

    def verify(self, call: WebhookCall, secret: str | None) -> bool:
        """X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted form fields with the auth token."""
        given = call.headers.get("x-twilio-signature", "")
        data = call.url + "".join(k + v for k, v in sorted(call.form.items()))
        mac = hmac.new(self.token.encode(), data.encode(), hashlib.sha1).digest()
        return bool(given) and hmac.compare_digest(base64.b64encode(mac).decode(), given)

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """A status callback: MessageSid and MessageStatus, the key in the callback URL."""
        status = call.form.get("MessageStatus", "")
        key = call.url.partition("key=")[2] or None
        sid = call.form.get("MessageSid") or None
        if status in DELIVERED:
            return [Receipt("delivered", key=_unquoted(key), provider_id=sid)]
        if status in FAILED:
            return [
                Receipt("failed", key=_unquoted(key), provider_id=sid, detail=call.form.get("ErrorCode", ""))
            ]
        return []

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """An incoming SMS: From and Body."""
        if "From" not in call.form:
            raise ValueError("expected Twilio's From and Body fields")
        return [Inbound(call.form["From"], call.form.get("Body", ""))]


def _unquoted(key: str | None) -> str | None:
    from urllib.parse import unquote

    return unquote(key.split("&", 1)[0]) if key else None


def _known(status: object) -> Known:
    if status in DELIVERED:
        return "delivered"
    if status in FAILED:
        return "failed"
    return "sent"


def _sent_time(value: object) -> datetime:
    """Twilio's RFC 2822 date_created; the list's own order is kept where it is missing."""
    try:
        return parsedate_to_datetime(str(value)) if value else datetime.min.replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
