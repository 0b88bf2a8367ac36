"""The nightly job: every step runs, a second run changes nothing, `aisle jobs nightly` prints JSON."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.cli import app
from server.db.session import make_session_factory, session_scope
from server.db.tables import MemberEvent, MemberTag, MemberTier, PointsEntry
from server.jobs.nightly import run_nightly
from server.loyalty.config import save_setting
from server.loyalty.service import apply_transaction
from server.tags.service import create_rule
from tests.server.loyalty.rows import Shop, at


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (PointsEntry, MemberTag, MemberEvent)
    )


def _fill(session: Session) -> None:
    save_setting(session, "earn", {"lifetime_days": 60}, at(2024, 1, 1))
    create_rule(
        session, "dormant", {"fact": "days_since_last_purchase", "op": "gt", "value": 180}, at(2024, 1, 1)
    )
    shop = Shop(session)
    old, regular = shop.member("Old Timer"), shop.member("Regular")
    bag = shop.product("bags", "600.00")
    sale = shop.sale(old, at(2023, 11, 1), [(bag, 1, "600.00")])
    apply_transaction(session, sale.id, sale.occurred_at)
    for day in (3, 10, 17, 24):
        sale = shop.sale(regular, at(2024, 4, day), [(bag, 1, "600.00")])
        apply_transaction(session, sale.id, sale.occurred_at)


def test_nightly_runs_every_step_and_is_idempotent(session: Session) -> None:
    _fill(session)
    report = run_nightly(session, at(2024, 6, 24, 2))
    assert report.points_expired == 3000  # the last lot (24 April) expired on 23 June
    assert report.tiers is not None and (report.tiers.reviewed, report.tiers.upgraded) == (2, 0)
    assert report.tags is not None and report.tags.added == 1  # the old timer is dormant
    assert set(report.seconds) == {
        "points_expiry",
        "tier_review",
        "retag",
        "heat_alerts",
        "reminders",
        "birthdays",
        "member_day",
    }
    tiers = session.execute(select(MemberTier.tier, MemberTier.spend).order_by(MemberTier.member_id)).all()
    assert [(t, str(s)) for t, s in tiers] == [("growing", "600.00"), ("loyal", "2400.00")]
    before = _counts(session)
    again = run_nightly(session, at(2024, 6, 24, 3))
    assert again.points_expired == 0 and again.tags is not None and again.tags.added == 0
    assert _counts(session) == before


def test_the_cli_runs_the_night_and_prints_json(cli_env: None, engine: Engine) -> None:
    with session_scope(make_session_factory(engine)) as session:
        _fill(session)
    # the model step is tested on its own (tests/server/deployments/test_training.py): no text model here
    result = CliRunner().invoke(app, ["jobs", "nightly", "--at", "2024-06-24T02:00:00", "--no-model"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "model" not in report
    assert report["points_expired"] == 3000 and report["tags"]["added"] == 1
    bad = CliRunner().invoke(app, ["jobs", "nightly", "--at", "tomorrow"])
    assert bad.exit_code == 2 and "is not an ISO date and time" in bad.output


def test_the_cli_shares_a_night_in_chunks_and_a_second_process_finds_it_done(
    cli_env: None, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(make_session_factory(engine)) as session:
        _fill(session)
    monkeypatch.setenv("AISLE_NIGHTLY_CHUNK_MEMBERS", "1")  # one chunk per member and step
    command = ["jobs", "nightly", "--at", "2024-06-24T02:00:00", "--no-model", "--share"]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["points_expired"] == 3000 and report["tags"]["added"] == 1
    assert report["shared"] == {
        "run_key": "2024-06-24",
        "as_of": "2024-06-24T02:00:00+00:00",
        "planned_here": True,
        "chunks_done_here": 8 * 3 + 1,  # two members: chunks (0, 1], (1, 2] and the open one after
        "chunks_left": 0,
    }
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    second = json.loads(again.output)
    assert second["shared"]["planned_here"] is False and second["shared"]["chunks_done_here"] == 0
    assert second["points_expired"] == 3000  # the night's report, whichever process did the chunks
