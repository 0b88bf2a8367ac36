"""The member page's cookies: a signed member session, the pending sign-in, and CSRF tokens.

Each value is `payload.mac` with an HMAC under the lookup key and a purpose label, so a value made for one
cookie is never accepted as another. Nothing secret is inside (ids and times); the phone never is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from server.core.crypto import Keys

SESSION_COOKIE = "aisle_member"
PENDING_COOKIE = "aisle_member_pending"
CSRF_COOKIE = "aisle_member_csrf"
LANG_COOKIE = "aisle_lang"
SESSION_DAYS = 30
PENDING_MINUTES = 20


def _mac(keys: Keys, purpose: str, payload: str) -> str:
    return hmac.new(keys.lookup, f"member-page:{purpose}:{payload}".encode(), hashlib.sha256).hexdigest()[:40]


def sign(keys: Keys, purpose: str, fields: list[str]) -> str:
    """`fields` joined and signed for `purpose`."""
    payload = base64.urlsafe_b64encode(":".join(fields).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(keys, purpose, payload)}"


def unsign(keys: Keys, purpose: str, value: str | None) -> list[str] | None:
    """The fields of a value `sign` made for `purpose`; None for anything else."""
    if not value or "." not in value or len(value) > 400:
        return None
    payload, _, mac = value.partition(".")
    if not mac.isascii() or not hmac.compare_digest(mac, _mac(keys, purpose, payload)):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split(":")
    except ValueError:
        return None


def session_value(keys: Keys, member_id: int, now: datetime) -> str:
    """The member's session cookie, valid for SESSION_DAYS."""
    return sign(keys, "session", [str(member_id), str(int(now.timestamp()))])


def session_member(keys: Keys, value: str | None, now: datetime) -> int | None:
    """The member a session cookie names while it is fresh; None otherwise."""
    return _fresh_id(unsign(keys, "session", value), now, timedelta(days=SESSION_DAYS))


def pending_value(keys: Keys, code_id: int, now: datetime) -> str:
    """The cookie that carries a sign-in between the phone, code and join steps (the code's row id)."""
    return sign(keys, "pending", [str(code_id), str(int(now.timestamp()))])


def pending_code(keys: Keys, value: str | None, now: datetime) -> int | None:
    """The sign-in code row a pending cookie names while it is fresh."""
    return _fresh_id(unsign(keys, "pending", value), now, timedelta(minutes=PENDING_MINUTES))


def _fresh_id(fields: list[str] | None, now: datetime, life: timedelta) -> int | None:
    if fields is None or len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    issued = int(fields[1])
    if not now.timestamp() - life.total_seconds() <= issued <= now.timestamp() + 60:
        return None
    return int(fields[0])


def new_csrf_seed() -> str:
    """A random value for the CSRF cookie of a browser that has none."""
    return secrets.token_urlsafe(18)


def csrf_token(keys: Keys, seed: str) -> str:
    """The token every form carries: tied to the browser's CSRF cookie, so another site cannot forge it."""
    return _mac(keys, "csrf", seed)


def csrf_ok(keys: Keys, seed: str | None, token: str | None) -> bool:
    """Whether a form's token matches the browser's CSRF cookie."""
    if not seed or not token or not token.isascii():
        return False
    return hmac.compare_digest(token, csrf_token(keys, seed))


def client_hash(keys: Keys, address: str) -> str:
    """A keyed hash of the caller's address: throttles per address without storing it."""
    return hmac.new(keys.lookup, f"member-page-client:{address}".encode(), hashlib.sha256).hexdigest()


def code_hash(keys: Keys, code_id_salt: str, code: str) -> str:
    """A keyed hash of a one-time code (salted with its phone hash), what the table keeps."""
    return hmac.new(
        keys.lookup, f"member-page-code:{code_id_salt}:{code}".encode(), hashlib.sha256
    ).hexdigest()
