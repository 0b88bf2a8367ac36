"""The idempotency key of a write the till or the floor may retry: from the body or the header."""

from __future__ import annotations

from server.core.errors import InvalidInput


def request_key(in_body: str | None, in_header: str | None) -> str:
    """The key given in the body (first) or the Idempotency-Key header; 422 when neither is."""
    key = in_body or in_header
    if not key:
        raise InvalidInput("an idempotency key is required (Idempotency-Key header or idempotency_key field)")
    return key
