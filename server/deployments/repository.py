"""SQL for model deployments: the active row of a scope, a scope's history, an experiment's rows and arms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db.tables import ModelDeployment, Recommendation, RecommendationFeedback, Store
from server.db.tables.deployments import scope_of

MD = ModelDeployment


def active(session: Session, scope: str) -> ModelDeployment | None:
    """The row a scope serves now, if it has one of its own."""
    return session.scalar(select(MD).where(MD.scope == scope, MD.ended_at.is_(None)))


def active_for(session: Session, store_id: int | None) -> list[ModelDeployment]:
    """The active rows of the store and of the chain (at most two)."""
    scopes = {scope_of(None), scope_of(store_id)}
    return list(session.scalars(select(MD).where(MD.scope.in_(scopes), MD.ended_at.is_(None))))


def all_active(session: Session) -> list[ModelDeployment]:
    """Every active row, the chain's first, then by store."""
    stmt = select(MD).where(MD.ended_at.is_(None)).order_by(MD.store_id.is_not(None), MD.store_id)
    return list(session.scalars(stmt))


def recent(session: Session, limit: int) -> list[ModelDeployment]:
    """The latest rows that have ended, newest first."""
    stmt = select(MD).where(MD.ended_at.is_not(None)).order_by(MD.ended_at.desc(), MD.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def history(session: Session, scope: str) -> list[ModelDeployment]:
    """A scope's rows, newest first."""
    stmt = select(MD).where(MD.scope == scope).order_by(MD.started_at.desc(), MD.id.desc())
    return list(session.scalars(stmt))


def experiment_rows(session: Session, experiment: str) -> list[ModelDeployment]:
    """The rows of an experiment, one per scope it runs or ran in (the chain's first)."""
    stmt = select(MD).where(MD.experiment == experiment).order_by(MD.store_id.is_not(None), MD.store_id)
    return list(session.scalars(stmt))


def missing_stores(session: Session, store_ids: Sequence[int]) -> list[int]:
    """Those of `store_ids` that are no store."""
    found = set(session.scalars(select(Store.id).where(Store.id.in_(store_ids))))
    return [s for s in store_ids if s not in found]


def end(session: Session, row: ModelDeployment, at: datetime, reason: str) -> bool:
    """End an active row; False when another unit of work ended it first (it lost a race)."""
    session.flush()
    stmt = (
        update(MD)
        .where(MD.id == row.id, MD.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    ended = session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
    if ended:
        session.refresh(row)
    return ended


def add(session: Session, row: ModelDeployment) -> bool:
    """Insert a row; False when its scope already has an active row (another unit of work won a race)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class ArmCounts:
    """What one arm of an experiment showed and what came of it."""

    arm: str
    shown: int
    members: int
    accepted: int
    sold: int
    revenue: Decimal
    revenue_squares: Decimal  # sum of each sold recommendation's amount squared (for the variance)


def arm_counts(session: Session, experiment: str) -> dict[str, ArmCounts]:
    """Per arm ("A", "B"): recommendations shown in the experiment, members, accepted, sold, revenue."""
    fb = RecommendationFeedback
    sold_amount = case((fb.action == "sold", fb.amount))
    stmt = (
        select(
            Recommendation.arm,
            func.count(Recommendation.id.distinct()),
            func.count(Recommendation.member_id.distinct()),
            func.count(case((fb.action == "accepted", fb.id))),
            func.count(case((fb.action == "sold", fb.id))),
            func.coalesce(func.sum(sold_amount), 0),
            func.coalesce(func.sum(sold_amount * sold_amount), 0),
        )
        .outerjoin(fb, and_(fb.recommendation_id == Recommendation.id, fb.action.in_(("accepted", "sold"))))
        .where(Recommendation.experiment == experiment, Recommendation.arm.in_(("A", "B")))
        .group_by(Recommendation.arm)
    )
    out = {}
    for arm, shown, members, accepted, sold, revenue, squares in session.execute(stmt):
        money_in, squared = Decimal(str(revenue)), Decimal(str(squares))
        out[arm] = ArmCounts(arm, int(shown), int(members), int(accepted), int(sold), money_in, squared)
    return out
