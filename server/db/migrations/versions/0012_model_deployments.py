"""model deployments: which recommender version serves which store, and A/B experiments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:00:00.000000

model_deployments holds one row per period a scope (a store, or the chain when store_id is NULL)
served a version, with a challenger and its share while an experiment runs. A partial unique index
on `scope` over the rows not yet ended keeps one active row per scope, so of two promotions racing
for a scope only one can win. Recommendations shown inside an experiment record it and the member's
arm (recommendations.experiment / arm).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ACTIVE = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "model_deployments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=120), nullable=False),
        sa.Column("challenger", sa.String(length=120), nullable=True),
        sa.Column("challenger_share", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", _ID, nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_model_deployments_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["staff.id"], name=op.f("fk_model_deployments_started_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_deployments")),
    )
    with op.batch_alter_table("model_deployments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_model_deployments_active_scope",
            ["scope"],
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        )
        batch_op.create_index("uq_model_deployments_experiment_scope", ["experiment", "scope"], unique=True)
        batch_op.create_index("ix_model_deployments_scope_started", ["scope", "started_at"], unique=False)
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("arm", sa.String(length=1), nullable=True))
        batch_op.create_index(batch_op.f("ix_recommendations_experiment"), ["experiment"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_experiment"))
        batch_op.drop_column("arm")
        batch_op.drop_column("experiment")
    with op.batch_alter_table("model_deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_model_deployments_scope_started")
        batch_op.drop_index("uq_model_deployments_experiment_scope")
        batch_op.drop_index("uq_model_deployments_active_scope")
    op.drop_table("model_deployments")
