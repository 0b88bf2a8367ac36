"""Tokens: what they carry, and every way a bad one is refused."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest

from server.auth.tokens import decode_token, issue_token
from server.core.errors import Unauthorized
from server.db.base import utcnow

KEY = b"k" * 32


def test_round_trip_carries_staff_version_and_lifetime() -> None:
    now = utcnow()
    claims = decode_token(KEY, issue_token(KEY, staff_id=42, version=3, minutes=90, now=now))
    assert (claims.staff_id, claims.version) == (42, 3)
    assert claims.expires_at - claims.issued_at == timedelta(minutes=90)


def test_expired_token_is_refused_as_expired() -> None:
    token = issue_token(KEY, staff_id=1, version=0, minutes=5, now=utcnow() - timedelta(hours=1))
    with pytest.raises(Unauthorized, match="^token expired"):
        decode_token(KEY, token)


def test_token_signed_with_another_key_is_invalid() -> None:
    token = issue_token(b"x" * 32, staff_id=1, version=0, minutes=5)
    with pytest.raises(Unauthorized, match="^invalid token"):
        decode_token(KEY, token)


def test_edited_payload_breaks_the_signature() -> None:
    header, payload, signature = issue_token(KEY, staff_id=1, version=0, minutes=5).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(Unauthorized, match="^invalid token"):
        decode_token(KEY, f"{header}.{forged}.{signature}")


@pytest.mark.parametrize("missing", ["sub", "ver", "exp", "iat"])
def test_token_without_a_required_claim_is_invalid(missing: str) -> None:
    now = int(utcnow().timestamp())
    claims = {"sub": "1", "ver": 0, "iat": now, "exp": now + 60}
    del claims[missing]
    with pytest.raises(Unauthorized, match="^invalid token"):
        decode_token(KEY, jwt.encode(claims, KEY, algorithm="HS256"))


def test_unsigned_token_is_refused() -> None:
    now = int(utcnow().timestamp())
    token = jwt.encode({"sub": "1", "ver": 0, "iat": now, "exp": now + 60}, "", algorithm="none")
    with pytest.raises(Unauthorized, match="^invalid token"):
        decode_token(KEY, token)


def test_garbage_is_invalid() -> None:
    with pytest.raises(Unauthorized, match="^invalid token"):
        decode_token(KEY, "not-a-token")
