"""Warm-up rehearses a first arrival (a member's profile and arrival card) and writes nothing doing so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.arrivals import rehearsal
from server.config import Settings
from server.core.context import AppContext
from server.db.tables import (
    FloorEventBody,
    FloorEventCounter,
    LookupAudit,
    Member,
    Recommendation,
    RecommendationFeedback,
)
from tests.server.health.test_health import wait_for, warm_app
from tests.server.recommendations.conftest import HashEncoder, build_shop

WRITTEN = (LookupAudit, Recommendation, RecommendationFeedback, FloorEventBody, FloorEventCounter)


def rows(context: AppContext) -> dict[str, int]:
    with context.engine.connect() as conn:
        return {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) or 0 for t in WRITTEN}


def test_ready_only_after_a_first_arrival_was_rehearsed_without_a_write(
    session: Session, context: AppContext, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = build_shop(session, context)
    profiles: list[int] = []
    build_profile = rehearsal.build_profile

    def watched(session: Session, member: Any, *args: Any) -> Any:
        profiles.append(member.id)
        return build_profile(session, member, *args)

    monkeypatch.setattr(rehearsal, "build_profile", watched)
    before = rows(context)
    app = warm_app(context, settings, HashEncoder)
    with TestClient(app) as client:
        ready = wait_for(client, 200)
        assert ready.status_code == 200, ready.json()
        holder = app.state.context.recommender
        assert holder.rehearsed == {rehearsal.NAME: True}
        first = session.scalar(select(func.min(Member.id)))
        assert profiles == [first] and first in {shop.regular.id, shop.dormant.id, shop.other.id}
        assert rows(context) == before  # no audit row, no recommendation shown, no floor event
    assert profiles == [first]  # once per process, not once per readiness check


def test_with_no_member_there_is_nothing_to_rehearse_and_the_server_is_ready(
    context: AppContext, settings: Settings
) -> None:
    app = warm_app(context, settings, HashEncoder)
    with TestClient(app) as client:
        ready = wait_for(client, 200)
        assert ready.status_code == 200, ready.json()
        assert app.state.context.recommender.rehearsed == {rehearsal.NAME: False}
