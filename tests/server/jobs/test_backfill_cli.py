"""`aisle jobs backfill-loyalty`: history applied once, as of the day after the data ends, as JSON."""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from server.cli import app
from server.db.session import make_session_factory, session_scope
from server.db.tables import MemberTier, PointsEntry
from tests.server.loyalty.rows import Shop, at


def test_the_backfill_applies_history_once_and_prints_json(cli_env: None, engine: Engine) -> None:
    with session_scope(make_session_factory(engine)) as session:
        shop = Shop(session)
        ann, bob = shop.member("Ann"), shop.member("Bob")
        chair = shop.product(price="250")
        for day in (1, 8, 15):
            shop.sale(ann, at(2011, 11, day), [(chair, 1, "250.00")])
        shop.sale(bob, at(2011, 12, 9), [(chair, 1, "250.00")])
    first = CliRunner().invoke(app, ["jobs", "backfill-loyalty", "--nightly"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["as_of"] == "2011-12-10T00:00:00+00:00"
    assert (report["transactions"], report["members"], report["points_earned"]) == (4, 2, 1000)
    assert report["nightly"]["tiers"]["reviewed"] == 2
    again = json.loads(CliRunner().invoke(app, ["jobs", "backfill-loyalty"]).output)
    assert again["transactions"] == 0
    with session_scope(make_session_factory(engine)) as session:
        assert session.scalar(select(func.sum(PointsEntry.points))) == 1000
        assert session.scalar(select(MemberTier.tier).where(MemberTier.member_id == ann.id)) == "growing"
    bad = CliRunner().invoke(app, ["jobs", "backfill-loyalty", "--at", "yesterday"])
    assert bad.exit_code == 2 and "is not an ISO date and time" in bad.output
