"""messaging: the outbox's states, claims and providers; templates; the consent ledger; quiet hours

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:30:00.000000

message_outbox gains what a sender needs (variables, language, template version, due time, the claim,
the provider's id, the reason of a failure or suppression); rows that were `pending` become `queued`
and a row without an idempotency key gets `outbox:<id>`. Stores get quiet hours (21:00-09:00 local).
message_templates holds every saved version of a purpose's text per language; message_consents is the
append-only consent ledger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variables", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("lang", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("template_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("store_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("due_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("claim_owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("claim_expires_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("provider", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("finished_at", _TIME, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_message_outbox_store_id_stores"), "stores", ["store_id"], ["id"]
        )
        batch_op.create_index("ix_message_outbox_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_message_outbox_member_sent", ["member_id", "channel", "sent_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_message_outbox_provider_id"), ["provider_id"], unique=False)
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.alter_column("tries", server_default=None)
    op.execute("UPDATE message_outbox SET status = 'queued' WHERE status = 'pending'")
    op.execute(
        "UPDATE message_outbox SET dedup_key = 'outbox:' || CAST(id AS VARCHAR(20)) WHERE dedup_key IS NULL"
    )
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quiet_start", sa.String(length=5), nullable=False, server_default="21:00")
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.String(length=5), nullable=False, server_default="09:00")
        )
    op.create_table(
        "message_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", _ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_message_templates_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("purpose", "lang", "version", name="uq_message_templates_version"),
    )
    op.create_table(
        "message_consents",
        sa.Column("id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose_class", sa.String(length=10), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("staff_id", _ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_message_consents_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_message_consents_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_consents")),
    )
    with op.batch_alter_table("message_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_consents_member", ["member_id", "channel", "purpose_class", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_message_consents_member")
    op.drop_table("message_consents")
    op.drop_table("message_templates")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
    op.execute(
        "UPDATE message_outbox SET status = 'pending' WHERE status IN ('queued', 'sending', 'unknown')"
    )
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_outbox_provider_id"))
        batch_op.drop_index("ix_message_outbox_member_sent")
        batch_op.drop_index("ix_message_outbox_status_due")
        batch_op.drop_constraint(batch_op.f("fk_message_outbox_store_id_stores"), type_="foreignkey")
        for column in (
            "finished_at",
            "reason",
            "provider_id",
            "provider",
            "tries",
            "claim_expires_at",
            "claim_owner",
            "due_at",
            "store_id",
            "template_version",
            "lang",
            "variables",
        ):
            batch_op.drop_column(column)
