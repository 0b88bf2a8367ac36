"""rewards: a catalogue of gifts and coupons members exchange points for, and the exchanges

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:14:00.000000

Points for check-ins and activities need no table: they are earn entries of the points ledger
with their reason in `detail`. A reward's stock is guarded by a check constraint as well as by the
conditional update that takes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rewards",
        sa.Column("id", _ID, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("exchanged", sa.Integer(), nullable=False),
        sa.Column("product_id", _ID, nullable=True),
        sa.Column("coupon_template_id", _ID, nullable=True),
        sa.Column("store_ids", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", _ID, nullable=True),
        sa.CheckConstraint("kind IN ('gift', 'coupon')", name=op.f("ck_rewards_kind")),
        sa.CheckConstraint("points > 0", name=op.f("ck_rewards_points_positive")),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name=op.f("ck_rewards_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_rewards_coupon_template_id_coupon_templates"),
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_rewards_product_id_products")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff.id"], name=op.f("fk_rewards_updated_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("code", name=op.f("uq_rewards_code")),
    )
    op.create_table(
        "reward_exchanges",
        sa.Column("id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("reward_id", _ID, nullable=False),
        sa.Column("reward_version", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("points_entry_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("staff_id", _ID, nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("coupon_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_by_id", _ID, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", _ID, nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('to_collect', 'collected', 'issued', 'cancelled')",
            name=op.f("ck_reward_exchanges_status"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["staff.id"], name=op.f("fk_reward_exchanges_cancelled_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["collected_by_id"], ["staff.id"], name=op.f("fk_reward_exchanges_collected_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_reward_exchanges_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reward_exchanges_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["points_entry_id"],
            ["points_entries.id"],
            name=op.f("fk_reward_exchanges_points_entry_id_points_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_exchanges_reward_id_rewards")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_reward_exchanges_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_reward_exchanges_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_exchanges")),
        sa.UniqueConstraint("coupon_id", name=op.f("uq_reward_exchanges_coupon_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reward_exchanges_idempotency_key")),
        sa.UniqueConstraint("points_entry_id", name=op.f("uq_reward_exchanges_points_entry_id")),
    )
    with op.batch_alter_table("reward_exchanges", schema=None) as batch_op:
        batch_op.create_index("ix_reward_exchanges_member_time", ["member_id", "created_at"], unique=False)
        batch_op.create_index("ix_reward_exchanges_reward_member", ["reward_id", "member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reward_exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_reward_exchanges_reward_member")
        batch_op.drop_index("ix_reward_exchanges_member_time")

    op.drop_table("reward_exchanges")
    op.drop_table("rewards")
