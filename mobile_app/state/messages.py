"""What the clerk reads when something fails: an exception turned into one translated sentence."""

from __future__ import annotations

from mobile_app.api.errors import ApiError, Unauthorized, Unreachable
from mobile_app.state.i18n import tr

# FastAPI's answer for a path it has no route for: an older server without the feature.
NO_ROUTE = "Not Found"


def message_for(exc: BaseException, lang: str, *, signing_in: bool = False) -> str:
    """The banner text for `exc` in `lang`; a 401 while signing in means the password was wrong."""
    if isinstance(exc, Unreachable):
        return tr("error.unreachable", lang, url=exc.url)
    if isinstance(exc, Unauthorized):
        return tr("error.wrong_password" if signing_in else "error.session_expired", lang)
    if isinstance(exc, ApiError):
        return _api_message(exc, lang)
    return tr("error.other", lang, detail=str(exc) or type(exc).__name__)


def _api_message(exc: ApiError, lang: str) -> str:
    status, detail = exc.status, exc.message
    if status == 403:
        return tr("error.not_allowed", lang, detail=detail)
    if status in (404, 405) and detail in (NO_ROUTE, "Method Not Allowed"):
        return tr("error.not_supported", lang)
    if status == 404:
        return tr("error.not_found", lang, detail=detail)
    if status == 409:
        return tr("error.conflict", lang, detail=detail)
    if status in (400, 422):
        return tr("error.invalid", lang, detail=detail)
    if status == 429:
        return tr("error.too_many", lang)
    if status >= 500:
        return tr("error.server", lang, status=status)
    return tr("error.other", lang, detail=detail)
