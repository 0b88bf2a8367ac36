"""floor events stored once: event bodies apart from each recipient's numbered copy

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 06:20:00.000000

An arrival goes to a whole floor: the payload used to be written once per recipient (200 clerks, 200
copies of a 5 kB body). Bodies now live in floor_event_bodies; floor_events keeps (staff, seq, event).
The events already logged are moved, not dropped: a phone offline at upgrade time still replays them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "floor_event_bodies",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_floor_event_bodies_store_id_stores"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_floor_event_bodies")),
    )
    with op.batch_alter_table("floor_event_bodies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_floor_event_bodies_created_at"), ["created_at"], unique=False)
    # One body per event: every copy of an event carries the same type, store, payload and time.
    op.execute(
        """
        INSERT INTO floor_event_bodies (event_id, event_type, store_id, payload, created_at)
        SELECT e.event_id, e.event_type, e.store_id, e.payload, e.created_at
        FROM floor_events e
        WHERE e.id = (SELECT MIN(f.id) FROM floor_events f WHERE f.event_id = e.event_id)
        """
    )
    with op.batch_alter_table("floor_events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_floor_events_store_id_stores", type_="foreignkey")
        batch_op.drop_column("payload")
        batch_op.drop_column("store_id")
        batch_op.drop_column("event_type")
        batch_op.create_index(batch_op.f("ix_floor_events_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_floor_events_event_id_floor_event_bodies"),
            "floor_event_bodies",
            ["event_id"],
            ["event_id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("floor_events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_floor_events_event_id_floor_event_bodies", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_floor_events_event_id"))
        batch_op.add_column(sa.Column("event_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("store_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.execute(
        """
        UPDATE floor_events SET
            event_type = (SELECT b.event_type FROM floor_event_bodies b WHERE b.event_id = floor_events.event_id),
            store_id = (SELECT b.store_id FROM floor_event_bodies b WHERE b.event_id = floor_events.event_id),
            payload = (SELECT b.payload FROM floor_event_bodies b WHERE b.event_id = floor_events.event_id)
        """
    )
    with op.batch_alter_table("floor_events", schema=None) as batch_op:
        batch_op.alter_column("event_type", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_floor_events_store_id_stores"), "stores", ["store_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("floor_event_bodies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_event_bodies_created_at"))
    op.drop_table("floor_event_bodies")
