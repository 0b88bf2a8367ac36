"""floor event copies written as one row per event, filed per recipient in the background

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:30:00.000000

An arrival's 200 numbered copies used to be 200 rows of floor_events, each in a different page of the
(staff_id, seq) index: about a megabyte of SQLite log per arrival, written before the floor was told.
They are now written as one floor_event_pending row and filed into floor_events in batches.
A downgrade files what is still pending first, so no copy is lost either way.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "floor_event_pending",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("copies", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["floor_event_bodies.event_id"],
            name=op.f("fk_floor_event_pending_event_id_floor_event_bodies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_floor_event_pending")),
    )


def downgrade() -> None:
    conn = op.get_bind()
    pending = conn.execute(
        sa.text(
            "SELECT p.event_id, p.copies, b.created_at FROM floor_event_pending p "
            "JOIN floor_event_bodies b ON b.event_id = p.event_id"
        )
    ).all()
    insert = sa.text(
        "INSERT INTO floor_events (staff_id, seq, event_id, created_at) "
        "VALUES (:staff_id, :seq, :event_id, :created_at)"
    )
    for event_id, copies, created_at in pending:
        pairs = json.loads(copies) if isinstance(copies, str) else copies
        rows = [
            {"staff_id": int(s), "seq": int(q), "event_id": event_id, "created_at": created_at}
            for s, q in pairs
        ]
        if rows:
            conn.execute(insert, rows)
    op.drop_table("floor_event_pending")
