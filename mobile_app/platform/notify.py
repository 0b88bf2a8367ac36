"""The alert when a member arrives by push: vibration and a tone on a phone, a log line on a desktop."""

from __future__ import annotations

import logging
from collections.abc import Callable

from mobile_app.platform import is_android

log = logging.getLogger(__name__)

Backend = Callable[[str], None]


def _android_backend(title: str) -> None:
    """Vibrate briefly and play the system notification tone (plyer on python-for-android)."""
    try:
        from plyer import vibrator

        vibrator.vibrate(0.25)
    except Exception as exc:  # a phone without a vibrator or the permission: the card still shows
        log.warning("vibration unavailable: %s", exc)
    try:
        from jnius import autoclass

        ringtones = autoclass("android.media.RingtoneManager")
        activity = autoclass("org.kivy.android.PythonActivity").mActivity
        uri = ringtones.getDefaultUri(ringtones.TYPE_NOTIFICATION)
        ringtones.getRingtone(activity, uri).play()
    except Exception as exc:  # silent mode or no tone: not worth failing the arrival over
        log.warning("notification tone unavailable: %s", exc)


def _desktop_backend(title: str) -> None:
    """A desktop has no vibrator: say it in the log so a developer sees the hook fire."""
    log.info("arrival alert: %s", title)


class Notifier:
    """Fires the platform's alert for a pushed arrival; `muted` silences it; `count`, `last`: what fired."""

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend: Backend = backend or (_android_backend if is_android() else _desktop_backend)
        self.muted = False
        self.count = 0
        self.last = ""

    def arrival(self, name: str) -> None:
        """Alert the clerk that `name` just walked in."""
        if self.muted:
            return
        self.count += 1
        self.last = name
        try:
            self.backend(name)
        except Exception:  # the alert is a nicety: a failing backend must never lose the card
            log.exception("arrival alert failed")
