"""Sign in: the server's address (remembered), the staff id and the password."""

from __future__ import annotations

from typing import Any, ClassVar

from mobile_app.screens.base import AisleScreen


class SignInScreen(AisleScreen):
    """The first screen: where the server is and who is signing in."""

    kv_file: ClassVar[str] = "signin.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"staff", "server_url", "username"})

    def refresh(self) -> None:
        """Fill the remembered server and staff id; never the password."""
        ids = self.ids
        if not ids.server.text:
            ids.server.text = self.state.server_url or ""
        if not ids.username.text:
            ids.username.text = self.state.username or ""
        if self.state.staff is not None:
            ids.password.text = ""

    def on_enter(self, *_: Any) -> None:
        """Put the cursor where typing is needed first."""
        field = self.ids.password if self.ids.username.text else self.ids.username
        field.focus = bool(self.ids.server.text)

    def submit(self) -> None:
        """Sign in with what was typed (the controller says which field is missing, if any)."""
        ids = self.ids
        self.controller.sign_in(ids.server.text.strip(), ids.username.text.strip(), ids.password.text)
