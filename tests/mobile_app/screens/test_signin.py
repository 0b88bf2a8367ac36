"""The sign-in screen: clear messages for a wrong password and an unreachable server; the server is kept."""

from __future__ import annotations

from pathlib import Path

from tests.mobile_app.conftest import dead_url
from tests.mobile_app.screens.conftest import Phone


def _signed_out(phone: Phone) -> None:
    if phone.state.staff is not None:
        phone.controller.sign_out()
        phone.wait(lambda: phone.current() == "signin", "the sign-in screen after signing out")
    phone.set_lang("en")


def _try(phone: Phone, server: str, login: str, password: str) -> str:
    screen = phone.screen("signin")
    screen.ids.server.text, screen.ids.username.text, screen.ids.password.text = server, login, password
    phone.state.update(error=None)
    screen.submit()
    phone.wait(
        lambda: bool(phone.state.error) and not phone.state.busy, f"a message for signing in at {server}"
    )
    phone.settle()
    return str(screen.ids.banner.text)


def test_wrong_password_is_said_plainly(phone: Phone, shots: Path) -> None:
    _signed_out(phone)
    banner = _try(phone, phone.server.url, "sh.clerk1", "not-the-password")
    assert banner == "Wrong username or password."
    assert phone.current() == "signin" and phone.state.staff is None
    phone.save_png(shots / "signin_wrong_password.png")


def test_unreachable_server_names_the_address(phone: Phone) -> None:
    _signed_out(phone)
    url = dead_url()
    banner = _try(phone, url, "sh.clerk1", "demo-sh-clerk1")
    assert banner.startswith("Cannot reach the server at") and url in banner


def test_sign_in_opens_the_floor_and_the_server_is_remembered(phone: Phone, shots: Path) -> None:
    _signed_out(phone)
    screen = phone.screen("signin")
    screen.ids.server.text = ""
    phone.state.update(error=None)
    phone.settle()
    phone.save_png(shots / "signin.png")
    phone.sign_in(*phone.server.clerk)
    assert phone.current() == "floor"
    assert phone.screen("floor").store_text == phone.state.staff.store_name != ""
    phone.controller.sign_out()
    phone.wait(lambda: phone.current() == "signin", "the sign-in screen after signing out")
    # A new app run reads the remembered server and staff id from the prefs file.
    assert phone.controller.prefs.server_url == phone.server.url
    assert screen.ids.server.text == phone.server.url
    assert screen.ids.username.text == "sh.clerk1"
    assert screen.ids.password.text == ""
