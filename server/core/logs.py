"""Server logs without secrets: uvicorn's request lines keep the path, never a query's values or a token.

A query can hold a looked-up phone number (`/members/lookup?phone=…`) and, from phones of an older
version, the floor socket's 12-hour token; access logs are kept, shipped and read far more widely than
the database. So the values of every query are replaced by "…" before a line is written, and any
bearer token (an `Authorization` or `Sec-WebSocket-Protocol` header, logged at debug level) and an
unsubscribe link's token are cut out.
"""

from __future__ import annotations

import logging
import re

# uvicorn's request lines (HTTP, and WebSocket handshakes on its error logger) and the websockets
# library's debug lines for a handshake, which uvicorn hands the error logger.
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")
HIDDEN = "…"
_BEARER = re.compile(r"(?i)\b(bearer[ .])[^\s,;\"']+")
# A member's unsubscribe link carries its signed token in the path (a link in an SMS has no header).
_PATH_TOKEN = re.compile(r"(/messaging/unsubscribe/)[^/?\s\"]+")


def redact_target(target: str) -> str:
    """A request target with each query value replaced by "…" (names kept, to show what was asked)."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    fields = (field.partition("=") for field in query.split("&"))
    return path + "?" + "&".join(f"{name}={HIDDEN}" if sep else HIDDEN for name, sep, _ in fields)


def redact(text: str) -> str:
    """`text` without query values (when it is a request target) and without bearer tokens."""
    if text.startswith("/") and "?" in text:
        text = redact_target(text)
    text = _PATH_TOKEN.sub(lambda m: m.group(1) + HIDDEN, text)
    return _BEARER.sub(lambda m: m.group(1) + HIDDEN, text)


class Redact(logging.Filter):
    """Rewrites a record's arguments (and its message, when it has none) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact and let the record through."""
        if isinstance(record.args, tuple) and record.args:
            # Same length and order: uvicorn's access formatter unpacks the arguments by position.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif not record.args and isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_server_logs() -> None:
    """Install the filter on uvicorn's loggers, once (its logging config keeps a logger's filters)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, Redact) for f in logger.filters):
            logger.addFilter(Redact())
