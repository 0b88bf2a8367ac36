"""The adapter interface every provider implements, and the values it passes back.

`send` gets a message whose `key` is the outbox row's idempotency key (the provider's out-id or
session context) and answers: accepted (with the provider's id), failed (definite, do not retry),
transient (definitely not accepted, retry later) or unknown (it may have been accepted: reconcile with
`query`, never re-send blindly). `query` answers what the provider knows of a key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx

Outcome = Literal["accepted", "failed", "transient", "unknown"]
Known = Literal["sent", "delivered", "failed", "not_found", "unknown"]


@dataclass(frozen=True)
class Match:
    """A message the provider knows only by its address and text: its status and the provider's id.

    The dispatcher records the id, so a second message with the same text to the same address cannot
    be settled by the same provider message (`taken`).
    """

    status: Known
    provider_id: str


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider needs it."""

    key: str
    member_id: int | None  # None: a sign-in code to a phone number that is not a member yet
    channel: str
    purpose: str
    to: str  # phone number (E.164), WeChat openid, or the consultant's staff id
    text: str
    params: dict[str, str] = field(default_factory=dict)  # rendered variables, secrets included
    lang: str = "zh"


@dataclass(frozen=True)
class SendResult:
    """What a send came to."""

    outcome: Outcome
    provider_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Receipt:
    """A delivery report: which message (by key or provider id) and its final state."""

    status: Literal["delivered", "failed"]
    key: str | None = None
    provider_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Inbound:
    """A text a member sent back."""

    phone: str
    text: str


@dataclass(frozen=True)
class WebhookCall:
    """A provider's webhook request as the adapter sees it."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]
    json: Any


class Adapter(Protocol):
    """A provider."""

    name: str

    def send(self, message: Outgoing) -> SendResult:
        """Hand the message over; never raises for the provider's answers."""
        ...

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """What the provider knows of the message with this key (or provider id); `taken` are provider
        ids already recorded for other messages, which a match by text must skip."""
        ...

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """Delivery reports in a webhook call (ValueError for a body it cannot read)."""
        ...

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """Member replies in a webhook call."""
        ...

    def verify(self, call: WebhookCall, secret: str | None) -> bool:
        """Whether a webhook call really comes from the provider."""
        ...


def shared_secret_ok(call: WebhookCall, secret: str | None) -> bool:
    """The shared webhook secret, as HTTP Basic password (any user) or the X-Aisle-Webhook-Secret header."""
    if not secret:
        return False
    given = call.headers.get("x-aisle-webhook-secret", "")
    auth = call.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        import base64
        import binascii

        try:
            given = base64.b64decode(auth[6:]).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(secret.encode()).digest()
    )


def http_outcome(exc: Exception) -> SendResult:
    """A transport failure: before the request was sent it is transient, after it the send is unknown."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return SendResult("transient", detail=f"cannot reach the provider: {type(exc).__name__}")
    return SendResult("unknown", detail=f"no answer from the provider: {type(exc).__name__}")


def status_outcome(status: int, detail: str) -> SendResult:
    """An HTTP error status: 429 and 5xx other than a gateway timeout are transient, 4xx definite."""
    if status in (429, 500, 502, 503):
        return SendResult("transient", detail=f"HTTP {status}: {detail}"[:300])
    if status == 504:
        return SendResult("unknown", detail=f"HTTP {status}: {detail}"[:300])
    return SendResult("failed", detail=f"HTTP {status}: {detail}"[:300])


class WebhookOnly:
    """Default webhook behaviour: the shared secret, no receipts or replies."""

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """None."""
        return []

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """None."""
        return []

    def verify(self, call: WebhookCall, secret: str | None) -> bool:
        """The shared secret."""
        return shared_secret_ok(call, secret)
