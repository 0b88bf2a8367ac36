"""One member's heat (now and for the last eight weeks), explained persona and dormancy, from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server.core.errors import NotFound
from server.loyalty.config import load_config
from server.signals.dormancy import Dormancy, dormancy
from server.signals.heat import WEEKS, HeatSettings, WeeklyHeat, heat_at, history_start, weekly_heat
from server.signals.persona import Persona, persona
from server.signals.repository import daily_activity
from server.tags import repository as tags_repo
from server.tags.facts import persona_inputs


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
    acts = daily_activity(session, history_start(now), now, [member_id]).get(member_id, [])
    settings = HeatSettings()
    return MemberInsights(
        heat_index=heat_at(acts, now.date(), settings),
        weekly_heat=weekly_heat(acts, now.date(), settings, WEEKS),
        persona=persona(persona_inputs(agg, tags_repo.category_medians(session))),
        dormancy=dormancy(agg.last_purchase, now.date()),
    )
