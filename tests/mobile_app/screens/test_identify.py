"""Identify: the phone keypad, a member card number, and a picture of the member's QR code (desktop)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from mobile_app.platform.scanner import ScanError, decode_qr_file, decode_qr_pixels
from mobile_app.screens.identify import IdentifyScreen
from tests.mobile_app.screens.conftest import Phone

zxingcpp = pytest.importorskip("zxingcpp")


def write_png(path: Path, pixels: bytes, width: int, height: int) -> Path:
    """A greyscale PNG, written by hand (no imaging library needed)."""
    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def qr_png(path: Path, text: str) -> Path:
    """A picture of a QR code holding `text`, with a white margin as a printed code has."""
    image = memoryview(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=8))
    height, width = tuple(image.shape or (0, 0))
    margin = 40
    big = bytearray(b"\xff" * ((width + 2 * margin) * (height + 2 * margin)))
    flat = image.tobytes()
    for y in range(height):
        start = (y + margin) * (width + 2 * margin) + margin
        big[start : start + width] = flat[y * width : (y + 1) * width]
    return write_png(path, bytes(big), width + 2 * margin, height + 2 * margin)


def _identify(phone: Phone, screen: IdentifyScreen, member_id: int) -> None:
    phone.wait(lambda: phone.current() == "member", "the member screen")
    phone.wait(
        lambda: phone.state.member is not None and phone.state.member.id == member_id,
        "the found member's profile",
    )


def test_the_keypad_types_the_phone_number_and_finds_the_member(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    phone.root.tab("identify")
    screen: IdentifyScreen = phone.screen("identify")  # type: ignore[assignment]
    screen.set_mode("phone")
    phone.settle()
    for key in "13920248020":
        screen.ids.keypad.press(key)
    screen.ids.keypad.press("9")
    screen.ids.keypad.press("del")
    assert screen.ids.entry.text == "13920248020"
    phone.save_png(shots / "identify.png")
    screen.submit()
    _identify(phone, screen, server.featured_member_id)


def test_a_card_number_opens_the_member(clerk: Phone) -> None:
    phone, server = clerk, clerk.server
    phone.root.tab("identify")
    screen: IdentifyScreen = phone.screen("identify")  # type: ignore[assignment]
    screen.set_mode("card")
    screen.ids.entry.text = server.featured_card
    screen.submit()
    _identify(phone, screen, server.featured_member_id)


def test_an_unknown_card_says_so_and_stays(clerk: Phone) -> None:
    phone = clerk
    phone.root.tab("identify")
    screen: IdentifyScreen = phone.screen("identify")  # type: ignore[assignment]
    screen.set_mode("card")
    screen.ids.entry.text = "000000000000"
    screen.submit()
    phone.wait(lambda: bool(phone.state.error) and not phone.state.busy, "the not-found message")
    phone.settle()
    assert phone.current() == "identify"
    assert "000000000000" in phone.state.error
    phone.state.update(error=None)


def test_a_picture_of_the_qr_code_opens_the_member(clerk: Phone, tmp_path: Path) -> None:
    phone, server = clerk, clerk.server
    token = phone.get(f"members/{server.featured_member_id}/profile", server.admin)["qr_token"]
    assert token
    picture = qr_png(tmp_path / "qr.png", token)
    assert decode_qr_file(picture) == token
    phone.root.tab("identify")
    screen: IdentifyScreen = phone.screen("identify")  # type: ignore[assignment]
    screen.set_mode("qr")
    assert not screen.has_camera  # a desktop: the picture is the fallback
    screen.read_picture(str(picture))
    assert screen.mode == "qr"
    _identify(phone, screen, server.featured_member_id)


def test_a_picture_without_a_code_is_a_clear_error(phone: Phone, tmp_path: Path) -> None:
    blank = write_png(tmp_path / "blank.png", b"\xff" * 64 * 64, 64, 64)
    with pytest.raises(ScanError, match="no QR code"):
        decode_qr_file(blank)
    with pytest.raises(ScanError, match="no such picture"):
        decode_qr_file(tmp_path / "missing.png")
    with pytest.raises(ScanError, match="unsupported"):
        decode_qr_pixels(b"\x00" * 10, 4, 4, 2)
