"""The built app's log level."""

from __future__ import annotations

import logging

from tests.mobile_app.screens.conftest import Phone


def test_the_running_app_logs_at_info_never_debug(phone: Phone) -> None:
    # Kivy's import leaves the root logger at NOTSET (its default mode) or WARNING (the tests' Python
    # mode); the app, once built, logs at INFO either way, and the URL-logging HTTP library at WARNING.
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("kivy").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("websockets.client").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
