"""automations: business events, journeys, their versions and store switches, enrolments and due steps

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 01:09:05.884484
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "automation_sweeps",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("ran_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_sweeps")),
        sa.UniqueConstraint("key", name=op.f("uq_automation_sweeps_key")),
    )
    op.create_table(
        "journeys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("live_version_id", _ID, nullable=True),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("per_store_switch", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", _ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_journeys_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_journeys_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
        sa.UniqueConstraint("slug", name=op.f("uq_journeys_slug")),
    )
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journeys_store_id"), ["store_id"], unique=False)

    op.create_table(
        "automation_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("consumed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_automation_events_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_automation_events_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_events")),
        sa.UniqueConstraint("key", name=op.f("uq_automation_events_key")),
    )
    with op.batch_alter_table("automation_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automation_events_member", ["member_id", "kind", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_automation_events_open", ["consumed_at", "id"], unique=False)

    op.create_table(
        "journey_store_switches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("journey_id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by_id", _ID, nullable=True),
        sa.Column("changed_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["staff.id"], name=op.f("fk_journey_store_switches_changed_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_store_switches_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_journey_store_switches_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_store_switches")),
        sa.UniqueConstraint("journey_id", "store_id", name="uq_journey_store_switch"),
    )
    op.create_table(
        "journey_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("journey_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_by_id", _ID, nullable=True),
        sa.Column("published_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_versions_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["staff.id"], name=op.f("fk_journey_versions_published_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_versions")),
        sa.UniqueConstraint("journey_id", "version", name="uq_journey_versions_version"),
    )
    op.create_table(
        "journey_enrolments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("journey_id", _ID, nullable=False),
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("entry_key", sa.String(length=120), nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("arm", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("entered_at", _TIME, nullable=False),
        sa.Column("goal_until", _TIME, nullable=True),
        sa.Column("converted_at", _TIME, nullable=True),
        sa.Column("revenue", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_journey_enrolments_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_journey_enrolments_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_journey_enrolments_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["journey_versions.id"],
            name=op.f("fk_journey_enrolments_version_id_journey_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_enrolments")),
        sa.UniqueConstraint("journey_id", "member_id", "entry_key", name="uq_journey_enrolments_entry"),
    )
    with op.batch_alter_table("journey_enrolments", schema=None) as batch_op:
        batch_op.create_index("ix_journey_enrolments_member", ["member_id", "status"], unique=False)
        batch_op.create_index("ix_journey_enrolments_version", ["version_id", "arm"], unique=False)

    op.create_table(
        "journey_steps",
        sa.Column("id", _ID, nullable=False),
        sa.Column("enrolment_id", _ID, nullable=False),
        sa.Column("node", sa.String(length=40), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["journey_enrolments.id"],
            name=op.f("fk_journey_steps_enrolment_id_journey_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_steps")),
        sa.UniqueConstraint("enrolment_id", "node", "visit", name="uq_journey_steps_visit"),
    )
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.create_index("ix_journey_steps_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_steps_due")

    op.drop_table("journey_steps")
    with op.batch_alter_table("journey_enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_enrolments_version")
        batch_op.drop_index("ix_journey_enrolments_member")

    op.drop_table("journey_enrolments")
    op.drop_table("journey_versions")
    op.drop_table("journey_store_switches")
    with op.batch_alter_table("automation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_automation_events_open")
        batch_op.drop_index("ix_automation_events_member")

    op.drop_table("automation_events")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journeys_store_id"))

    op.drop_table("journeys")
    op.drop_table("automation_sweeps")
