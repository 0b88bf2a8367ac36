"""What can go wrong talking to the server, as three exceptions the controller turns into messages."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The server answered with an error status; `message` is its own `detail`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Unauthorized(ApiError):
    """401: wrong password, or the token expired or was revoked (sign in again)."""

    def __init__(self, message: str = "not signed in") -> None:
        super().__init__(401, message)


class Unreachable(Exception):
    """No answer: the server is down, the address is wrong, or the phone has no network."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def detail_text(body: Any, fallback: str) -> str:
    """The server's error `detail` as one line (FastAPI's 422 gives a list of problems)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):
        parts = []
        for problem in detail:
            if isinstance(problem, dict):
                where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
                msg = str(problem.get("msg", ""))
                parts.append(f"{where}: {msg}" if where else msg)
            else:
                parts.append(str(problem))
        if parts:
            return "; ".join(parts)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return fallback
