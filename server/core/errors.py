"""The one error family services raise; a single handler in `server.app` turns it into JSON."""

from __future__ import annotations


class AisleError(Exception):
    """A failure the caller can act on, with the HTTP status that describes it."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    @property
    def headers(self) -> dict[str, str] | None:
        """Extra HTTP headers the response must carry (WWW-Authenticate, Retry-After)."""
        return {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else None


class NotFound(AisleError):
    status_code = 404


class Conflict(AisleError):
    status_code = 409


class Unauthorized(AisleError):
    status_code = 401


class Forbidden(AisleError):
    status_code = 403


class TooManyRequests(AisleError):
    """Refused for a while (sign-in lockout, look-up rate limit); `retry_after` is in seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str] | None:
        """Tell the client when it may try again."""
        return {"Retry-After": str(self.retry_after)}


class InvalidInput(AisleError):
    status_code = 422


class ConfigurationError(AisleError):
    """Settings that cannot work (a bad database URL, a short secret)."""

    status_code = 500
