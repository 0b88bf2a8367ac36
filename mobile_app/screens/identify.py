"""Identify a member: a phone-number keypad, a member card number, or the member's QR code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.filechooser import FileChooserListView
from kivy.uix.popup import Popup

from mobile_app.platform.scanner import IMAGE_TYPES, ScanError, camera_scanner, decode_qr_file
from mobile_app.screens.base import AisleScreen
from mobile_app.widgets.basics import AisleButton

MODES = ("phone", "card", "qr")


class IdentifyScreen(AisleScreen):
    """Type or scan who is in front of the clerk; the member's 360° view opens once found."""

    kv_file: ClassVar[str] = "identify.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"identified", "busy", "error"})

    mode = StringProperty("phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._waiting = False
        self._saw_busy = False
        self._before = 0
        self._scanner = camera_scanner()
        self._popup: Popup | None = None
        super().__init__(*args, **kwargs)

    @property
    def has_camera(self) -> bool:
        """Whether a camera scanner is available (Android); a desktop picks a picture instead."""
        return self._scanner is not None

    def set_mode(self, mode: str) -> None:
        """Switch between phone, card and QR."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.ids.entry.text = ""

    def refresh(self) -> None:
        """Open the member once the look-up has found them; stop waiting when it failed."""
        if not self._waiting:
            return
        if self.state.busy:
            self._saw_busy = True
            return
        # Counted by the controller when a look-up found someone: a profile fetched again for another
        # reason (the language switched) is not an answer.
        if self.state.identified != self._before:
            self._waiting = False
            self.ids.entry.text = ""
            self.services.go("member")
        elif self._saw_busy or self.state.error:
            self._waiting = False

    def submit(self, value: str | None = None) -> None:
        """Look the member up by what was typed or scanned (the server also records the visit)."""
        text = (self.ids.entry.text if value is None else value).strip()
        self.state.update(error=None)
        self._waiting, self._saw_busy = True, False
        self._before = self.state.identified
        self.controller.identify(**{self.mode: text})

    def scan(self) -> None:
        """Read a QR code: the camera on a phone, a picture file on a desktop."""
        if self._scanner is not None:
            self._scanner.scan(self._scanned, self._scan_failed)
            return
        self._pick_picture()

    def _scanned(self, text: str) -> None:
        self.mode = "qr"
        self.ids.entry.text = text
        self.submit(text)

    def _scan_failed(self, reason: str) -> None:
        self.state.update(error=self.t("identify.scan_failed", self.lang, reason=reason))

    def _pick_picture(self) -> None:
        chooser = FileChooserListView(path=str(Path.home()), filters=list(IMAGE_TYPES))
        box = BoxLayout(orientation="vertical", spacing=dp(8))
        box.add_widget(chooser)
        row = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        cancel = AisleButton(text=self.t("common.cancel", self.lang), kind="secondary")
        choose = AisleButton(text=self.t("identify.use_picture", self.lang))
        row.add_widget(cancel)
        row.add_widget(choose)
        box.add_widget(row)
        popup = Popup(title=self.t("identify.pick_picture", self.lang), content=box, size_hint=(0.95, 0.85))
        cancel.bind(on_release=lambda *_: popup.dismiss())
        choose.bind(
            on_release=lambda *_: self.read_picture(chooser.selection[0] if chooser.selection else "")
        )
        self._popup = popup
        popup.open()

    def read_picture(self, path: str) -> None:
        """Decode the QR code in a picture file and identify the member it names."""
        if self._popup is not None:
            self._popup.dismiss()
            self._popup = None
        if not path:
            return
        try:
            text = decode_qr_file(path)
        except ScanError as exc:
            self._scan_failed(str(exc))
            return
        self._scanned(text)
