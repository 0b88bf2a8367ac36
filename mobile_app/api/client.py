"""AisleClient: one method per server endpoint the phone uses, over a synchronous httpx client.

Every failure is one of three exceptions (mobile_app.api.errors): Unreachable (no answer at all),
Unauthorized (401) or ApiError (any other error status, with the server's own `detail`). Writes carry an
idempotency key (a uuid4 unless the caller brings the one it stored) so a replay is stored once.
"""

from __future__ import annotations

import functools
import ssl
import uuid
from datetime import date, datetime
from typing import Any

import httpx

from mobile_app.api.errors import ApiError, Unauthorized, Unreachable, detail_text
from mobile_app.api.wire import (
    ArrivalResult,
    ChatTurn,
    ClientRow,
    Consultant,
    Interaction,
    MemberSummary,
    Profile,
    Recommendations,
    SignIn,
    StaffSummary,
    TaskList,
)

API = "/api/v1"


def normalise_base_url(url: str) -> str:
    """The server's root URL as typed by a person: 'host:8000' or 'http://host:8000/api/v1/' → 'http://host:8000'."""
    text = url.strip().rstrip("/")
    if text and "://" not in text:
        text = f"http://{text}"
    if text.endswith(API):
        text = text[: -len(API)]
    return text.rstrip("/")


def new_key() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


def _rows(body: Any) -> list[dict[str, Any]]:
    """The rows of a list answer, bare or paginated ({"items": [...]})."""
    rows = body.get("items", []) if isinstance(body, dict) else body
    return [r for r in rows or () if isinstance(r, dict)]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process (each client made at sign-in used to load it
    again, slowly on a phone); call early in a background thread to have it ready."""
    return httpx.create_ssl_context()


class AisleClient:
    """The Aisle HTTP API for one server and (once signed in) one staff member."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.token = token
        self.timeout = timeout
        self._base_url = normalise_base_url(base_url)
        self._http = httpx.Client(timeout=timeout, verify=tls_context())

    @property
    def base_url(self) -> str:
        """The server root, e.g. http://192.168.1.20:8000."""
        return self._base_url

    @base_url.setter
    def base_url(self, url: str) -> None:
        self._base_url = normalise_base_url(url)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        """Send one request under /api/v1; raises Unreachable, Unauthorized or ApiError."""
        url = f"{self._base_url}{API}{path}"
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, url, params=query, json=json, data=data, headers=headers)
        except httpx.TransportError as exc:  # refused, reset, timed out, DNS, bad scheme
            raise Unreachable(self._base_url or url, str(exc) or type(exc).__name__) from exc
        except httpx.InvalidURL as exc:
            raise Unreachable(self._base_url or url, f"not a valid address: {exc}") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            detail = detail_text(body, response.reason_phrase or f"HTTP {response.status_code}")
            if response.status_code == 401:
                raise Unauthorized(detail)
            raise ApiError(response.status_code, detail)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` and the JSON body of the answer (None for 204)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(response.status_code, "the answer is not JSON: is this an Aisle server?") from exc

    # Sign-in and who am I
    def sign_in(self, username: str, password: str) -> SignIn:
        """POST /auth/token (form); keeps the token for the following calls."""
        signed = SignIn.from_json(
            self.call("POST", "/auth/token", data={"username": username, "password": password})
        )
        self.token = signed.access_token
        return signed

    def me(self) -> StaffSummary:
        """GET /auth/me."""
        return StaffSummary.from_json(self.call("GET", "/auth/me"))

    def store_name(self, store_id: int) -> str:
        """GET /stores/{id}: the store's name."""
        return str(self.call("GET", f"/stores/{store_id}").get("name", ""))

    # Members
    def lookup(
        self, *, phone: str | None = None, card: str | None = None, qr: str | None = None
    ) -> MemberSummary:
        """GET /members/lookup by exactly one of phone, card or QR token."""
        params = {"phone": phone, "card": card, "qr": qr}
        return MemberSummary.from_json(self.call("GET", "/members/lookup", params=params))

    def arrive(
        self, store_id: int, *, source: str = "clerk", **identifier: str | int | None
    ) -> ArrivalResult:
        """POST /stores/{id}/arrivals with one of phone, card, qr or member_id: tells the floor."""
        body: dict[str, Any] = {k: v for k, v in identifier.items() if v is not None}
        body["source"] = source
        return ArrivalResult.from_json(self.call("POST", f"/stores/{store_id}/arrivals", json=body))

    def profile_json(self, member_id: int, lang: str | None = None) -> dict[str, Any]:
        """GET /members/{id}/profile as the server sent it (what the offline cache keeps), in `lang`."""
        params = {"lang": lang} if lang else None
        body = self.call("GET", f"/members/{member_id}/profile", params=params)
        return body if isinstance(body, dict) else {}

    def profile(self, member_id: int, lang: str | None = None) -> Profile:
        """GET /members/{id}/profile."""
        return Profile.from_json(self.profile_json(member_id, lang))

    def recommendations(self, member_id: int, lang: str | None = None, k: int = 5) -> Recommendations:
        """GET /members/{id}/recommendations in `lang`."""
        params = {"lang": lang, "k": k}
        return Recommendations.from_json(
            self.call("GET", f"/members/{member_id}/recommendations", params=params)
        )

    def chat(
        self, member_id: int, message: str, session_id: str | None = None, lang: str | None = None
    ) -> ChatTurn:
        """POST /members/{id}/chat: one turn; pass the previous turn's session_id to refine it."""
        body = {"message": message, "session_id": session_id, "lang": lang}
        return ChatTurn.from_json(self.call("POST", f"/members/{member_id}/chat", json=body))

    # Writes the outbox may replay
    def feedback(self, recommendation_id: int, action: str, key: str | None = None) -> dict[str, Any]:
        """POST /recommendations/{id}/feedback (accepted, declined or sold; the same action twice is one)."""
        path = f"/recommendations/{recommendation_id}/feedback"
        return dict(self.call("POST", path, json={"action": action}, key=key or new_key()))

    def log_interaction(
        self,
        member_id: int,
        channel: str,
        note: str = "",
        follow_up_on: date | None = None,
        occurred_at: datetime | None = None,
        key: str | None = None,
    ) -> Interaction:
        """POST /members/{id}/interactions (a replayed key is stored once)."""
        key = key or new_key()
        body = {
            "channel": channel,
            "note": note,
            "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
            "idempotency_key": key,
        }
        return Interaction.from_json(
            self.call("POST", f"/members/{member_id}/interactions", json=body, key=key)
        )

    def issue_offer(self, member_id: int, key: str | None = None) -> dict[str, Any]:
        """POST /members/{id}/offers: issue the reactivation offer (a replayed key returns the same one)."""
        key = key or new_key()
        return dict(self.call("POST", f"/members/{member_id}/offers", json={"idempotency_key": key}, key=key))

    def task_done(self, ref: str, key: str | None = None) -> dict[str, Any]:
        """POST /tasks/done: mark a task done (idempotent)."""
        key = key or new_key()
        return dict(
            self.call("POST", "/tasks/done", json={"ref": ref, "idempotency_key": key}, key=key) or {}
        )

    # Tasks and consultants
    def tasks(self, staff_id: int | None = None) -> TaskList:
        """GET /tasks (default: the signed-in staff member's)."""
        return TaskList.from_json(self.call("GET", "/tasks", params={"staff_id": staff_id}))

    def staff_clients(self, staff_id: int) -> list[ClientRow]:
        """GET /staff/{id}/clients: the members a consultant looks after."""
        return [ClientRow.from_json(r) for r in _rows(self.call("GET", f"/staff/{staff_id}/clients"))]

    def store_consultants(self, store_id: int) -> list[StaffSummary]:
        """GET /stores/{id}/consultants with their client and open task counts."""
        rows = _rows(self.call("GET", f"/stores/{store_id}/consultants"))
        return [StaffSummary.from_json(r) for r in rows]

    def member_consultants(self, member_id: int) -> list[Consultant]:
        """GET /members/{id}/consultants."""
        return [Consultant.from_json(r) for r in _rows(self.call("GET", f"/members/{member_id}/consultants"))]

    def assign(self, member_id: int, position: str, staff_id: int) -> Any:
        """PUT /members/{id}/consultants/{position}: make `staff_id` the primary or secondary consultant."""
        path = f"/members/{member_id}/consultants/{position}"
        return self.call("PUT", path, json={"staff_id": staff_id}, key=new_key())

    def unassign(self, member_id: int, position: str) -> None:
        """DELETE /members/{id}/consultants/{position}."""
        self.call("DELETE", f"/members/{member_id}/consultants/{position}", key=new_key())
