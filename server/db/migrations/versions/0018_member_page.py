"""member page: one-time sign-in codes; an outbox message may go to a phone that is no member yet

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:30:00.000000

sign_in_codes keeps the codes the member page sends (hashed, with expiry and wrong guesses).
message_outbox.member_id becomes nullable and `to_encrypted` holds the phone of a sign-in code sent to
someone who is not a member yet (they join once the code is right).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=_ID, nullable=True)
        batch_op.add_column(sa.Column("to_encrypted", sa.LargeBinary(), nullable=True))
    op.create_table(
        "sign_in_codes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("verified_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_sign_in_codes_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_codes")),
    )
    with op.batch_alter_table("sign_in_codes", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_codes_phone_time", ["phone_hash", "created_at"], unique=False)
        batch_op.create_index("ix_sign_in_codes_client_time", ["client_hash", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("sign_in_codes")
    op.execute("DELETE FROM message_outbox WHERE member_id IS NULL")
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_column("to_encrypted")
        batch_op.alter_column("member_id", existing_type=_ID, nullable=False)
