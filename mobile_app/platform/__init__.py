"""What differs between a phone and a desktop: the QR scanner and the arrival alert."""

from __future__ import annotations

import os


def is_android() -> bool:
    """True inside the Android build (python-for-android sets ANDROID_ARGUMENT)."""
    return "ANDROID_ARGUMENT" in os.environ or "ANDROID_PRIVATE" in os.environ
