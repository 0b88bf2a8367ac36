"""lookup audit keeps failed look-ups (member may be null)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:01:21.088203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("lookup_audit", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=_ID, nullable=True)


def downgrade() -> None:
    # Failed look-ups name no member: the older schema cannot hold them.
    op.execute("DELETE FROM lookup_audit WHERE member_id IS NULL")
    with op.batch_alter_table("lookup_audit", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=_ID, nullable=False)
