"""journey segment members: who is in a segment-triggered journey's segment, to see who came in

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 02:30:40.064202
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journey_segment_members",
        sa.Column("id", _ID, nullable=False),
        sa.Column("journey_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("since", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_segment_members_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_journey_segment_members_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_segment_members")),
        sa.UniqueConstraint("journey_id", "member_id", name="uq_journey_segment_members"),
    )


def downgrade() -> None:
    op.drop_table("journey_segment_members")
