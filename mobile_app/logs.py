"""The phone app's logging: INFO and above, and no line that carries a token or a looked-up number.

Kivy's default log mode hands every library's records to its own handlers with the root logger at
NOTSET, so the websockets client wrote each handshake (with its headers) and httpx its connection
details at DEBUG into the app's log file. Kivy's log files outlive a shift and get attached to bug
reports; a clerk's 12-hour token or a customer's number has no business in them, not even when a
developer turns DEBUG on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

APP_LEVEL = logging.INFO
LEVEL_ENV = "AISLE_APP_LOG_LEVEL"  # debug, info, warning or error
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
# httpx's INFO line is the request URL, whose query holds the phone number a clerk looked up; the
# websockets client's DEBUG lines are the floor socket's handshake and frames.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "websockets": logging.INFO}
# What Kivy logs that nobody at a desktop can act on: its config file being written on a first start
# ("older configuration version 0"), and no X cut buffer (middle-click paste) without xclip or xsel,
# which Kivy reports as CRITICAL with two tracebacks although copy and paste work without it.
KIVY_NOISE = (
    "Config: Older configuration version detected",
    "Config: Upgrading configuration in progress",
    "Cutbuffer: Unable to find any valuable Cutbuffer provider",
)


def level_named(name: str) -> int | None:
    """The logging level called `name` (debug, info, warning, error), or None for any other word."""
    return LEVELS.get(name.strip().lower())


def chosen_level(environ: Mapping[str, str]) -> int:
    """INFO, or the level $AISLE_APP_LOG_LEVEL names."""
    return level_named(environ.get(LEVEL_ENV, "")) or APP_LEVEL


def configure_logging(level: int = APP_LEVEL) -> None:
    """Log at `level` (the root and Kivy's logger); URL- and header-logging libraries stay quieter."""
    logging.getLogger().setLevel(level)
    # Kivy's own logger follows its config's log_level, which a developer's config.ini may set to debug.
    logging.getLogger("kivy").setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(level, quiet))


class KivyNoise(logging.Filter):
    """Drops the Kivy lines in KIVY_NOISE; everything else Kivy says passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(KIVY_NOISE)


def quiet_kivy_noise() -> None:
    """Keep KIVY_NOISE off the console and the log file (call before Kivy is imported)."""
    kivy = logging.getLogger("kivy")
    if not any(isinstance(f, KivyNoise) for f in kivy.filters):
        kivy.addFilter(KivyNoise())
