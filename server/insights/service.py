"""Insights on members: heat index with its weekly history and alerts, shopping persona, dormancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.core.errors import NotFound
from server.insights.dormancy import Dormancy, dormancy
from server.insights.events import NewEvent, raise_events
from server.insights.heat import HeatSettings, WeeklyHeat, heat_alert, heat_at, weekly_heat
from server.insights.persona import Persona, persona
from server.insights.repository import daily_activity
from server.loyalty.config import load_config
from server.tags import repository as tags_repo
from server.tags.facts import persona_inputs

HORIZON_DAYS = 240  # activity older than this adds under 1% to the heat index
WEEKS = 8


def _since(now: datetime) -> datetime:
    return now - timedelta(days=HORIZON_DAYS + 7 * WEEKS)


@dataclass(frozen=True)
class MemberInsights:
    """What the profile shows beside the purchases: heat, its last eight weeks, persona and dormancy."""

    heat_index: int
    weekly_heat: list[WeeklyHeat]
    persona: Persona
    dormancy: Dormancy


def member_insights(session: Session, member_id: int, now: datetime) -> MemberInsights:
    """Heat index now and for the last eight weeks, the explained persona, and dormancy for one member."""
    lowest = load_config(session).ladder.lowest
    aggs = tags_repo.base_aggregates(session, lowest, [member_id])
    if member_id not in aggs:
        raise NotFound(f"member {member_id} not found")
    tags_repo.add_transaction_totals(session, aggs, now, [member_id])
    tags_repo.add_category_totals(session, aggs, now, [member_id])
    agg = aggs[member_id]
    acts = daily_activity(session, _since(now), now, [member_id]).get(member_id, [])
    settings = HeatSettings()
    return MemberInsights(
        heat_index=heat_at(acts, now.date(), settings),
        weekly_heat=weekly_heat(acts, now.date(), settings, WEEKS),
        persona=persona(persona_inputs(agg, tags_repo.category_medians(session))),
        dormancy=dormancy(agg.last_purchase, now.date()),
    )


def raise_heat_alerts(session: Session, now: datetime, settings: HeatSettings | None = None) -> int:
    """Alert consultants of members whose heat fell two weeks running (once per fall); new alerts raised."""
    settings = settings or HeatSettings()
    events = []
    for member_id, acts in daily_activity(session, _since(now), now).items():
        alert = heat_alert(weekly_heat(acts, now.date(), settings, WEEKS), settings)
        if alert is not None:
            events.append(
                NewEvent(
                    member_id,
                    "heat_alert",
                    alert.text,
                    now,
                    f"heat-alert:{member_id}:{alert.week_end.isoformat()}",
                    {"weekly": list(alert.values), "week_end": alert.week_end.isoformat()},
                )
            )
    return raise_events(session, events)
