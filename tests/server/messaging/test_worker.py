"""`aisle worker --once` sends what is due with the adapters the settings configure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.cli import app
from server.db.tables import Member, OutboxMessage
from server.messaging.outbox import enqueue
from tests.server.messaging.conftest import NOON


@pytest.mark.usefixtures("cli_env")
def test_the_worker_sends_and_exits(session: Session, member: Member, tmp_path: Path) -> None:
    row = enqueue(
        session,
        member.id,
        "otp",
        {"code": "654321", "points": 1, "value": "1", "minutes": 5},
        key="w",
        now=NOON,
    )
    session.commit()
    done = CliRunner().invoke(app, ["worker", "--once"])
    assert done.exit_code == 0, done.output
    lines = (tmp_path / "data" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["w"] and "654321" in lines[0]
    session.expire_all()
    found = session.get(OutboxMessage, row.id)
    assert found is not None and found.status == "sent"
