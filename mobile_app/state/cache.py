"""ProfileCache: member profiles kept on the phone, so the member screen still opens without network.

It holds the signed-in consultant's assigned clients (fetched at sign-in) and every member opened since,
as the server's JSON, per owner (server|username): a shared phone never shows one clerk's cache to another.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "profiles.sqlite"


class ProfileCache:
    """Profiles on disk in `<data_dir>/profiles.sqlite`; safe to use from several threads."""

    def __init__(self, data_dir: Path | str) -> None:
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / FILE_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS profiles (owner TEXT NOT NULL, member_id INTEGER NOT NULL,"
            " card TEXT, body TEXT NOT NULL, saved_at TEXT NOT NULL, PRIMARY KEY (owner, member_id))"
        )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def put(self, owner: str, profile: dict[str, Any]) -> None:
        """Keep (or refresh) one profile as GET /members/{id}/profile returned it."""
        row = (
            owner,
            int(profile["id"]),
            profile.get("card_number"),
            json.dumps(profile, ensure_ascii=False),
            datetime.now(UTC).isoformat(),
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO profiles VALUES (?, ?, ?, ?, ?)", row)

    def get(self, owner: str, member_id: int) -> tuple[dict[str, Any], datetime] | None:
        """The saved profile and when it was saved, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT body, saved_at FROM profiles WHERE owner = ? AND member_id = ?", (owner, member_id)
            ).fetchone()
        return (json.loads(row[0]), datetime.fromisoformat(row[1])) if row else None

    def find_card(self, owner: str, card: str) -> int | None:
        """The member id of a saved profile with this card number, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT member_id FROM profiles WHERE owner = ? AND card = ?", (owner, card.strip())
            ).fetchone()
        return int(row[0]) if row else None

    def member_ids(self, owner: str) -> list[int]:
        """Ids of the owner's saved profiles."""
        with self._lock:
            rows = self._db.execute(
                "SELECT member_id FROM profiles WHERE owner = ? ORDER BY member_id", (owner,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def clear(self, owner: str) -> None:
        """Forget the owner's saved profiles."""
        with self._lock:
            self._db.execute("DELETE FROM profiles WHERE owner = ?", (owner,))
