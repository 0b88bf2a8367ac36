"""wechat identities: a member's openid for the chain's official account, bound by staff

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:30:00.000000

member_channel_identities holds each binding of a member to an id on a channel's app (today a WeChat
openid per official account): the openid encrypted with the phone key and a keyed hash of it, so that
an openid is bound to one member at a time and one per member and app (partial unique indexes over
the bindings in force); unbinding keeps the row with `unbound_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_BOUND = sa.text("unbound_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "member_channel_identities",
        sa.Column("id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("openid_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("openid_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("bound_by_id", _ID, nullable=True),
        sa.Column("bound_at", _TIME, nullable=False),
        sa.Column("unbound_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_channel_identities_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bound_by_id"], ["staff.id"], name=op.f("fk_member_channel_identities_bound_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_channel_identities")),
    )
    with op.batch_alter_table("member_channel_identities", schema=None) as batch_op:
        batch_op.create_index(
            "uq_member_channel_identities_bound_openid",
            ["channel", "app_id", "openid_hash"],
            unique=True,
            sqlite_where=_BOUND,
            postgresql_where=_BOUND,
        )
        batch_op.create_index(
            "uq_member_channel_identities_bound_member",
            ["member_id", "channel", "app_id"],
            unique=True,
            sqlite_where=_BOUND,
            postgresql_where=_BOUND,
        )


def downgrade() -> None:
    with op.batch_alter_table("member_channel_identities", schema=None) as batch_op:
        batch_op.drop_index("uq_member_channel_identities_bound_member")
        batch_op.drop_index("uq_member_channel_identities_bound_openid")
    op.drop_table("member_channel_identities")
