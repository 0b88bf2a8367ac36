"""The phone app's logging: INFO and above, and no line that carries a token or a looked-up number.

Kivy's default log mode hands every library's records to its own handlers with the root logger at
NOTSET, so the websockets client wrote each handshake (with its headers) and httpx its connection
details at DEBUG into the app's log file. Kivy's log files outlive a shift and get attached to bug
reports; a clerk's 12-hour token or a customer's number has no business in them.
"""

from __future__ import annotations

import logging

APP_LEVEL = logging.INFO
# httpx's INFO line is the request URL, whose query holds the phone number a clerk looked up.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING}


def configure_logging() -> None:
    """Log at INFO (the root and Kivy's logger), URL-logging libraries at WARNING."""
    logging.getLogger().setLevel(APP_LEVEL)
    # Kivy's own logger follows its config's log_level, which a developer's config.ini may set to debug.
    logging.getLogger("kivy").setLevel(APP_LEVEL)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
