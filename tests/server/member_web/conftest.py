"""Fixtures for the member page: a store's door, a browser-like client, OTPs read from the console file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.app import create_app
from server.core.context import AppContext
from server.db.tables import Store
from server.messaging.runner import dispatcher_for
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import make_store

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Door:
    """A store's member page driven like a phone's browser: forms with their CSRF token, codes from SMS."""

    client: TestClient
    context: AppContext
    store: Store
    now: datetime = NOON

    @property
    def url(self) -> str:
        return f"/m/s/{self.store.code}"

    def at(self, moment: datetime) -> None:
        self.now = moment
        pin_clock(self.client, moment)

    def csrf(self) -> str:
        page = self.client.get(self.url)
        found = CSRF.search(page.text)
        assert found, page.text
        return found.group(1)

    def post(self, step: str, **fields: str) -> object:
        return self.client.post(f"{self.url}/{step}", data={"csrf": self.csrf(), **fields})

    def sms(self) -> list[dict[str, object]]:
        """Send what is queued (one dispatcher round) and return every line the console adapter wrote."""
        dispatcher = dispatcher_for(self.context, lambda: self.now)
        dispatcher.run_once()
        path = self.context.settings.data_dir / "messages.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def last_code(self) -> str:
        texts = [str(line["text"]) for line in self.sms() if line["purpose"] == "sign_in_code"]
        assert texts, "no sign-in code was sent"
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
        assert found
        return found.group(1)

    def sign_in(self, phone: str, **join: str) -> object:
        """Ask for a code, enter it, and join with `join` when the phone is no member's yet."""
        self.post("code", phone=phone)
        answer = self.post("sign-in", code=self.last_code())
        if 'action="/m/s/' in answer.text and "/join" in answer.text:  # type: ignore[attr-defined]
            answer = self.post("join", **join)
        return answer


@pytest.fixture
def store(session: Session) -> Store:
    found = make_store(session, name="Jing'an", timezone="Asia/Shanghai", currency="CNY")
    session.commit()
    return found


@pytest.fixture
def door(context: AppContext, store: Store) -> Iterator[Door]:
    with TestClient(create_app(context.settings, context=context)) as client:
        client.headers["Accept-Language"] = "en"  # the phone's language; tests of zh ask for it
        made = Door(client, context, store)
        made.at(NOON)
        yield made
