"""offers redeemed at the till; audited price overrides and managers' approval codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:40:00.000000

An issued offer's code is checked and marked redeemed with the sale that used it (issued_offers
.redeemed_at / redeemed_transaction_id), so one code pays once. A till line sold at a price other than
the catalogue's is written to price_overrides with the catalogue price and who approved it; a store
manager's one-time approval code for such a sale is kept (hashed) in price_approvals.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("issued_offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redeemed_transaction_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_issued_offers_redeemed_transaction_id_transactions"),
            "transactions",
            ["redeemed_transaction_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_issued_offers_redeemed_transaction_id"), ["redeemed_transaction_id"], unique=True
        )
    op.create_table(
        "price_overrides",
        sa.Column("id", _ID, nullable=False),
        sa.Column("transaction_id", _ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", _ID, nullable=False),
        sa.Column("list_price", sa.Numeric(12, 3), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 3), nullable=False),
        sa.Column("discount", sa.Numeric(12, 2), nullable=False),
        sa.Column("staff_id", _ID, nullable=True),
        sa.Column("approved_by", _ID, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_price_overrides_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_price_overrides_product_id_products")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_price_overrides_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["staff.id"], name=op.f("fk_price_overrides_approved_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_overrides")),
    )
    with op.batch_alter_table("price_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_overrides_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "price_approvals",
        sa.Column("id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("manager_id", _ID, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_price_approvals_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["staff.id"], name=op.f("fk_price_approvals_manager_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_price_approvals_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_approvals")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_price_approvals_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("price_approvals")
    with op.batch_alter_table("price_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_overrides_transaction_id"))
    op.drop_table("price_overrides")
    with op.batch_alter_table("issued_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_offers_redeemed_transaction_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_issued_offers_redeemed_transaction_id_transactions"), type_="foreignkey"
        )
        batch_op.drop_column("redeemed_transaction_id")
        batch_op.drop_column("redeemed_at")
