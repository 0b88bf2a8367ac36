"""What the server's log filter leaves of a request line."""

from __future__ import annotations

import logging

import pytest

from server.core.logs import Redact, redact


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("/api/v1/members/lookup?phone=139%202024%208020", "/api/v1/members/lookup?phone=…"),
        ("/api/v1/ws/floor?token=eyJ.a.b&since=4", "/api/v1/ws/floor?token=…&since=…"),
        ("/api/v1/members?q=13900000000&limit=5&flag", "/api/v1/members?q=…&limit=…&…"),
        ("/api/v1/health", "/api/v1/health"),
        ("/api/v1/messaging/unsubscribe/MTIz.c21z.a2V5", "/api/v1/messaging/unsubscribe/…"),
        (
            '"POST /api/v1/messaging/unsubscribe/MTIz.c21z HTTP/1.1" 200',
            '"POST /api/v1/messaging/unsubscribe/… HTTP/1.1" 200',
        ),
        (
            "Sec-WebSocket-Protocol: aisle.v1, bearer.eyJhbGc.eyJzdWI.c2ln",
            "Sec-WebSocket-Protocol: aisle.v1, bearer.…",
        ),
        ("Authorization: Bearer eyJhbGc.eyJzdWI.c2ln", "Authorization: Bearer …"),
    ],
)
def test_query_values_and_tokens_are_cut(raw: str, shown: str) -> None:
    assert redact(raw) == shown


def test_an_access_record_keeps_its_shape_for_uvicorns_formatter() -> None:
    args = ("127.0.0.1:5000", "GET", "/api/v1/members/lookup?card=605000000014", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None)
    assert Redact().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", "/api/v1/members/lookup?card=…", "1.1", 200)
