"""Outbox: writes made on the floor (contact notes, feedback, offers, finished tasks) kept on the phone until
the server has them.

Every write goes through here, online or not, so they reach the server in the order they were made. Each
carries an idempotency key chosen when it was queued: a write the server stored but whose answer was lost
is sent again with the same key and stored once (the server answers 200 instead of 201; both count as
delivered). A 4xx other than 401/408/429 means the server will never take it: the item is dropped and the
reason reported. No answer, 401, 408, 429 or 5xx stops the replay and keeps the rest for next time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mobile_app.api.client import AisleClient
from mobile_app.api.errors import ApiError, Unauthorized, Unreachable

FILE_NAME = "outbox.sqlite"
KINDS = ("interaction", "feedback", "offer", "task_done")
RETRY_STATUSES = frozenset({401, 408, 429})


@dataclass(frozen=True)
class OutboxItem:
    """One queued write."""

    id: int
    owner: str
    kind: str
    payload: dict[str, Any]
    key: str
    created_at: datetime


@dataclass
class ReplayResult:
    """What one replay did: delivered items with the server's answer, dropped ones with the reason."""

    delivered: list[tuple[OutboxItem, Any]] = field(default_factory=list)
    dropped: list[tuple[OutboxItem, ApiError]] = field(default_factory=list)
    stopped_by: Exception | None = None  # Unreachable, Unauthorized or a retryable ApiError
    left: int = 0


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


SENDERS: dict[str, Callable[[AisleClient, dict[str, Any], str], Any]] = {
    "interaction": lambda c, p, key: c.log_interaction(
        int(p["member_id"]),
        str(p["channel"]),
        str(p.get("note", "")),
        follow_up_on=_date(p.get("follow_up_on")),
        occurred_at=_datetime(p.get("occurred_at")),
        key=key,
    ),
    "feedback": lambda c, p, key: c.feedback(int(p["recommendation_id"]), str(p["action"]), key=key),
    "offer": lambda c, p, key: c.issue_offer(int(p["member_id"]), key=key),
    "task_done": lambda c, p, key: c.task_done(str(p["ref"]), key=key),
}


class Outbox:
    """The queue, in `<data_dir>/outbox.sqlite`; safe to use from several threads."""

    def __init__(self, data_dir: Path | str) -> None:
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / FILE_NAME
        self._lock = threading.Lock()  # one statement at a time on the shared connection
        self._replaying = threading.Lock()  # one replay at a time
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,"
            " kind TEXT NOT NULL, payload TEXT NOT NULL, key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)"
        )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def add(self, owner: str, kind: str, payload: dict[str, Any]) -> OutboxItem:
        """Queue a write for `owner` (server|username) with a fresh idempotency key."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}; one of {', '.join(KINDS)}")
        key, now = str(uuid.uuid4()), datetime.now(UTC)
        text = json.dumps(payload, ensure_ascii=False, default=_jsonable)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox (owner, kind, payload, key, created_at) VALUES (?, ?, ?, ?, ?)",
                (owner, kind, text, key, now.isoformat()),
            )
        return OutboxItem(int(cursor.lastrowid or 0), owner, kind, json.loads(text), key, now)

    def pending(self, owner: str) -> list[OutboxItem]:
        """The owner's queued writes, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, owner, kind, payload, key, created_at FROM outbox WHERE owner = ? ORDER BY id",
                (owner,),
            ).fetchall()
        return [
            OutboxItem(i, o, k, json.loads(p), key, datetime.fromisoformat(c)) for i, o, k, p, key, c in rows
        ]

    def count(self, owner: str) -> int:
        """How many writes wait for `owner`."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM outbox WHERE owner = ?", (owner,)).fetchone()
        return int(row[0])

    def remove(self, item_id: int) -> None:
        """Forget one item (delivered or refused)."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def replay(self, owner: str, client: AisleClient) -> ReplayResult:
        """Send the owner's queued writes in order until done or the server cannot take more now."""
        result = ReplayResult()
        # One replay at a time: two threads sending the same item would still be stored once, but the
        # second would report it twice. Queuing (`add`) never waits for the network meanwhile.
        with self._replaying:
            for item in self.pending(owner):
                try:
                    answer = SENDERS[item.kind](client, item.payload, item.key)
                except (Unreachable, Unauthorized) as exc:
                    result.stopped_by = exc
                    break
                except ApiError as exc:
                    if exc.status in RETRY_STATUSES or exc.status >= 500:
                        result.stopped_by = exc
                        break
                    self.remove(item.id)
                    result.dropped.append((item, exc))
                    continue
                self.remove(item.id)
                result.delivered.append((item, answer))
            result.left = self.count(owner)
        return result


def _jsonable(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot queue a {type(value).__name__}")
