"""coupons: templates HQ defines and the coupons issued from them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:20:00.000000

coupon_templates holds the terms (JSON, validated as pydantic data when saved) and a version bumped by
each edit; coupons copy the terms when issued, so an edit never changes a coupon already in a member's
hands. A coupon's code and idempotency key are unique; the sale that used it is set in the same unit of
work as the sale. New reactivation offers are coupons; those already issued stay in issued_offers, which
the till keeps accepting: copying them would leave two rows for one discount to keep in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("per_member_limit", sa.Integer(), nullable=False),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("updated_by", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_coupon_templates_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_coupon_templates_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
    )
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_templates_purpose"), ["purpose"], unique=False)

    op.create_table(
        "coupons",
        sa.Column("id", _ID, nullable=False),
        sa.Column("template_id", _ID, nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("staff_id", _ID, nullable=True),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_transaction_id", _ID, nullable=True),
        sa.Column("discount_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"], ["coupon_templates.id"], name=op.f("fk_coupons_template_id_coupon_templates")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_coupons_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_coupons_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_coupons_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["redeemed_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_coupons_redeemed_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_coupons_idempotency_key")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index("ix_coupons_member_template", ["member_id", "template_id"], unique=False)
        batch_op.create_index("ix_coupons_template_time", ["template_id", "issued_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coupons_redeemed_transaction_id"), ["redeemed_transaction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coupons_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_staff_id"))
        batch_op.drop_index(batch_op.f("ix_coupons_redeemed_transaction_id"))
        batch_op.drop_index("ix_coupons_template_time")
        batch_op.drop_index("ix_coupons_member_template")
    op.drop_table("coupons")
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_templates_purpose"))
    op.drop_table("coupon_templates")
