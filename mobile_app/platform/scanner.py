"""Reading a member's QR code: the camera on Android, an image file (or typing the token) on a desktop.

Android: the ZXing "Barcode Scanner" intent, answered in on_activity_result; no camera code of our own
to keep the APK small. Desktop: decode a picture of the code with zxing-cpp (`pip install zxing-cpp`),
loaded through Kivy's image loader so no imaging library is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mobile_app.platform import is_android

log = logging.getLogger(__name__)

SCAN_ACTION = "com.google.zxing.client.android.SCAN"
REQUEST_CODE = 0x51A
IMAGE_TYPES = ("*.png", "*.jpg", "*.jpeg", "*.bmp", "*.gif")


class ScanError(Exception):
    """No code could be read; the message says why, for the clerk."""


def decode_qr_pixels(data: bytes, width: int, height: int, channels: int) -> str:
    """The text of the first QR code in raw pixels (1 = grey, 3 = RGB, 4 = RGBA, rows top down)."""
    try:
        import zxingcpp
    except ImportError as exc:
        raise ScanError("reading a QR picture needs zxing-cpp (pip install zxing-cpp)") from exc
    formats = {1: zxingcpp.ImageFormat.Lum, 3: zxingcpp.ImageFormat.RGB, 4: zxingcpp.ImageFormat.RGBA}
    if channels not in formats or len(data) < width * height * channels:
        raise ScanError(f"unsupported picture: {width}x{height} with {channels} channels")
    # zxing-cpp reads any buffer; its type hints only name numpy arrays (numpy is not an app dependency).
    pixels: Any = memoryview(data)
    view = zxingcpp.ImageView(pixels, width, height, formats[channels])
    found = zxingcpp.read_barcodes(view, formats=zxingcpp.barcode_formats_from_str("QRCode"))
    if not found:
        raise ScanError("no QR code found in the picture")
    return str(found[0].text).strip()


def decode_qr_file(path: str | Path) -> str:
    """The text of the QR code in an image file (PNG, JPEG, ...), read with Kivy's image loader."""
    from kivy.core.image import ImageLoader

    path = Path(path)
    if not path.is_file():
        raise ScanError(f"no such picture: {path}")
    try:
        loaded = ImageLoader.load(str(path), keep_data=True, nocache=True)
    except Exception as exc:
        raise ScanError(f"cannot read the picture {path.name}: {exc}") from exc
    if loaded is None or not loaded._data:
        raise ScanError(f"cannot read the picture {path.name}")
    image = loaded._data[0]  # Kivy's ImageData: raw pixels, their format, and the row order
    channels = {"rgba": 4, "bgra": 4, "rgb": 3, "bgr": 3, "luminance": 1}.get(image.fmt)
    if channels is None:
        raise ScanError(f"unsupported picture format {image.fmt}")
    data = bytes(image.data)
    if image.flip_vertical is False:  # stored bottom-up (GL order): a mirrored QR does not decode
        row = image.width * channels
        data = b"".join(data[i : i + row] for i in range(len(data) - row, -1, -row))
    return decode_qr_pixels(data, image.width, image.height, channels)


class AndroidScanner:
    """Asks the ZXing scanner app to read a QR code with the camera; the result comes back by callback."""

    def __init__(self) -> None:
        self._pending: tuple[Callable[[str], None], Callable[[str], None]] | None = None
        from android import activity  # type: ignore[import-not-found]

        activity.bind(on_activity_result=self._on_result)

    def scan(self, on_text: Callable[[str], None], on_error: Callable[[str], None]) -> None:
        """Open the camera scanner; on_text gets the code, on_error a reason (no scanner app, cancelled)."""
        from jnius import autoclass

        intent = autoclass("android.content.Intent")(SCAN_ACTION)
        intent.putExtra("SCAN_MODE", "QR_CODE_MODE")
        activity = autoclass("org.kivy.android.PythonActivity").mActivity
        self._pending = (on_text, on_error)
        try:
            activity.startActivityForResult(intent, REQUEST_CODE)
        except Exception as exc:  # ActivityNotFoundException: no scanner app installed
            self._pending = None
            on_error(f"no QR scanner app on this phone ({exc}); type the code instead")

    def _on_result(self, request: int, result: int, intent: Any) -> None:
        if request != REQUEST_CODE or self._pending is None:
            return
        on_text, on_error = self._pending
        self._pending = None
        text = intent.getStringExtra("SCAN_RESULT") if intent is not None and result == -1 else None
        if text:
            on_text(str(text).strip())
        else:
            on_error("scan cancelled")


def camera_scanner() -> AndroidScanner | None:
    """The camera scanner on Android; None on a desktop (the screen offers a picture or typing)."""
    if not is_android():
        return None
    try:
        return AndroidScanner()
    except Exception:  # a build without pyjnius: fall back like a desktop
        log.exception("camera scanner unavailable")
        return None
