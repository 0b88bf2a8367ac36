"""The embedded default: each message appended as one JSON line to a file in the data directory.

A shop trying Aisle out (and every test) reads its messages there, one-time codes included, so the
file is created private (0600). `query` reads the file back, which makes reconciliation real: a line
with the key is a message that went out.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path

from server.core.files import private_dir
from server.db.base import utcnow
from server.messaging.adapters.base import (
    Inbound,
    Known,
    Match,
    Outgoing,
    Receipt,
    SendResult,
    WebhookCall,
    WebhookOnly,
)


class ConsoleAdapter(WebhookOnly):
    """Writes messages to `path`; receipts and replies can be posted to its webhooks as JSON."""

    name = "console"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ready = False

    def send(self, message: Outgoing) -> SendResult:
        """Append the message; accepted with its key as the provider id."""
        line = {
            "key": message.key,
            "member_id": message.member_id,
            "channel": message.channel,
            "purpose": message.purpose,
            "to": message.to,
            "text": message.text,
            "lang": message.lang,
            "at": utcnow().isoformat(),
        }
        try:
            with self._lock:
                if not self._ready:
                    private_dir(self.path.parent)
                    self._ready = True
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            return SendResult("transient", detail=f"cannot write {self.path.name}: {exc.strerror}")
        return SendResult("accepted", provider_id=message.key)

    def lines(self) -> list[dict[str, object]]:
        """Every message written so far."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def query(
        self,
        message: Outgoing,
        provider_id: str | None,
        sent_at: datetime | None,
        taken: frozenset[str] = frozenset(),
    ) -> Known | Match:
        """Sent when the file holds the key."""
        return "sent" if any(line.get("key") == message.key for line in self.lines()) else "not_found"

    def receipts(self, call: WebhookCall) -> list[Receipt]:
        """{"key": ..., "status": "delivered" | "failed"} or a list of them."""
        items = call.json if isinstance(call.json, list) else [call.json]
        out = []
        for item in items:
            if not isinstance(item, dict) or item.get("status") not in ("delivered", "failed"):
                raise ValueError('expected {"key": ..., "status": "delivered" or "failed"}')
            out.append(Receipt(item["status"], key=str(item.get("key") or "") or None))
        return out

    def inbound(self, call: WebhookCall) -> list[Inbound]:
        """{"phone": ..., "text": ...}."""
        item = call.json
        if not isinstance(item, dict) or not item.get("phone") or "text" not in item:
            raise ValueError('expected {"phone": ..., "text": ...}')
        return [Inbound(str(item["phone"]), str(item["text"]))]
