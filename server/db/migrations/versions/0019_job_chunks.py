"""job chunks: the nightly job's steps over member id ranges, claimed by the workers that share a night

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 01:45:00.000000

job_chunks holds one row per (job, run, step, first member id): due until a worker commits the step's
effects for the range together with `done`; a "plan" row per run says the chunks are in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_chunks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("run_key", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("lo", _ID, nullable=False),
        sa.Column("hi", _ID, nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_chunks")),
        sa.UniqueConstraint("job", "run_key", "step", "lo", name="uq_job_chunks_step_lo"),
    )
    with op.batch_alter_table("job_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_job_chunks_due", ["job", "run_key", "status", "step_index"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_job_chunks_due")
    op.drop_table("job_chunks")
