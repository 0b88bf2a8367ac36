"""Which recommender version serves which store, and the A/B experiments between two versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, UTCDateTime, utcnow

CHAIN_SCOPE = "chain"
ACTIVE = text("ended_at IS NULL")


def scope_of(store_id: int | None) -> str:
    """The scope key of a store's deployments ("store:3"), or "chain" for the whole chain."""
    return CHAIN_SCOPE if store_id is None else f"store:{store_id}"


class ModelDeployment(Base):
    """One period in which a scope (a store, or the chain) served a version, maybe with a challenger.

    Rows are never rewritten apart from being ended: the history of a scope is its rows by started_at.
    """

    __tablename__ = "model_deployments"
    __table_args__ = (
        # At most one active row per scope. `scope` exists because a unique index treats NULL store ids
        # (the chain) as all different; a partial index works alike on SQLite and PostgreSQL.
        Index(
            "uq_model_deployments_active_scope",
            "scope",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        # An experiment spans the scopes it was started in: its label is unique within a scope.
        Index("uq_model_deployments_experiment_scope", "experiment", "scope", unique=True),
        Index("ix_model_deployments_scope_started", "scope", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # None: the whole chain
    scope: Mapped[str] = mapped_column(String(40))  # scope_of(store_id)
    version: Mapped[str] = mapped_column(String(120))  # the incumbent (arm A)
    challenger: Mapped[str | None] = mapped_column(String(120))  # arm B while an experiment runs
    challenger_share: Mapped[int] = mapped_column(Integer, default=0)  # percent of members on arm B
    experiment: Mapped[str | None] = mapped_column(String(40))  # "ab-<id of its first row>"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: the command line
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # promoted, rolled_back, stopped (an experiment kept A), or experiment (one started on top of it).
    end_reason: Mapped[str | None] = mapped_column(String(20))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
