"""A demo of historical data dates what it seeds by its business clock, not by the wall clock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from server.config import Settings, get_settings
from server.core.context import AppContext
from server.db.base import utcnow
from server.db.tables import ConsultantAssignment, MemberTag, MemberTier
from tests.server.demo.test_cli import run_demo

# The small import's last sale is on 2010-12-02: the demo's business day is the day after.
FIRST_DAY, BUSINESS_DAY = date(2010, 12, 1), date(2010, 12, 3)


def test_the_imported_demo_dates_its_consultants_by_the_business_day(
    demo_env: Settings, small_retail_file: Path
) -> None:
    run_demo("--data", str(small_retail_file))
    context = AppContext.from_settings(get_settings())
    with context.engine.connect() as conn:
        assigned = list(conn.scalars(select(ConsultantAssignment.assigned_at)))
        # What the backfill and the nightly pass stamp: by the business clock too, kept so.
        tiers = list(conn.scalars(select(MemberTier.reviewed_at)))
        tagged = list(conn.scalars(select(MemberTag.tagged_at)))
    context.engine.dispose()
    assert assigned and tiers, "the demo assigns VIPs and reviews tiers"
    assert BUSINESS_DAY != utcnow().date()
    assert {at.date() for at in assigned} == {BUSINESS_DAY}
    assert {at.date() for at in tiers + tagged} <= {FIRST_DAY, date(2010, 12, 2), BUSINESS_DAY}
