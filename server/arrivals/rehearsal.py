"""A first arrival rehearsed before the server says it is ready.

The recommender's own warm-up (`engine.exercise`) loads the model and runs it once; the first profile
and arrival card after that still compiled their SQL statements and filled SQLAlchemy's and pydantic's
caches on the clerk's time (40 ms instead of 10 for a profile on the generated demo). Warm-up therefore
also builds one member's profile and arrival card, suggestions included, as those requests build them,
and throws them away: no audit row, no recommendation recorded, no floor event, nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from server.arrivals.service import SUGGESTIONS, arrived_member, arriving_member, standing
from server.core.context import AppContext
from server.db.tables import Member
from server.profile.view import build_profile, tier_state, transactions
from server.recommendations.engine import Engine, holder_for
from server.recommendations.service import recommendations_read, suggest

NAME = "arrival"


def rehearse_arrival(context: AppContext, recommender: Engine, now: datetime) -> bool:
    """Build the first member's profile and arrival card read-only; False when there is no member."""
    with context.sessions() as session:
        try:
            member_id = session.scalar(select(Member.id).order_by(Member.id).limit(1))
            if member_id is None:
                return False
            who = arriving_member(session, context, member_id, now)
            arrived_member(who).model_dump(mode="json")
            suggested = suggest(
                session,
                recommender,
                who.member,
                k=SUGGESTIONS,
                lang=None,
                now=now,
                standing=standing(who.card),
            )
            # The suggestions' ids stand in for the recorded ones: this answer is never sent.
            ids = [s.item_id for s in suggested.found]
            recommendations_read(recommender, who.member, suggested, ids).model_dump(mode="json")
            member = who.member
            state = tier_state(session, member, now, False)
            txns = transactions(session, member_id, now)
            build_profile(session, member, who.phone, txns, who.consultants, now, state).model_dump(
                mode="json"
            )
            return True
        finally:
            session.rollback()  # it only read; nothing is kept either way


def rehearse_on_warm_up(context: AppContext, now: Callable[[], datetime]) -> None:
    """Have the recommender's warm-up rehearse a first arrival too, at the business time `now()`."""
    holder_for(context).also_rehearse(NAME, lambda rec: rehearse_arrival(context, rec, now()))
