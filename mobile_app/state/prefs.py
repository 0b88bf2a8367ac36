"""Prefs: what the phone remembers between runs (server, username, language, last floor seq), as JSON.

The password and the token are never stored. The last seq is kept per server and username, so a phone
that signs in again asks the floor for exactly what it missed.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
FILE_NAME = "prefs.json"


class Prefs:
    """Remembered settings in `<data_dir>/prefs.json`; every setter saves at once."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:  # a damaged file costs the settings, not the app
            logger.warning("prefs: ignoring unreadable %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def save(self) -> None:
        """Write the file atomically (a crash mid-write leaves the old one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(self._data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temp, self.path)

    @property
    def server_url(self) -> str:
        """The last server signed in to."""
        return str(self._data.get("server_url", ""))

    @server_url.setter
    def server_url(self, value: str) -> None:
        self._data["server_url"] = value
        self.save()

    @property
    def username(self) -> str:
        """The last username signed in with."""
        return str(self._data.get("username", ""))

    @username.setter
    def username(self, value: str) -> None:
        self._data["username"] = value
        self.save()

    @property
    def lang(self) -> str:
        """The chosen language ("" until one is chosen)."""
        return str(self._data.get("lang", ""))

    @lang.setter
    def lang(self, value: str) -> None:
        self._data["lang"] = value
        self.save()

    def last_seq(self, server_url: str, username: str) -> int | None:
        """The last floor seq seen by this user on this server (None: never connected)."""
        value = self._data.get("last_seq", {}).get(_key(server_url, username))
        return int(value) if isinstance(value, int) else None

    def set_last_seq(self, server_url: str, username: str, seq: int) -> None:
        """Remember the last floor seq seen."""
        seqs = self._data.setdefault("last_seq", {})
        key = _key(server_url, username)
        if seqs.get(key) != seq:
            seqs[key] = seq
            self.save()


def _key(server_url: str, username: str) -> str:
    return f"{server_url.rstrip('/')}|{username.strip().lower()}"
