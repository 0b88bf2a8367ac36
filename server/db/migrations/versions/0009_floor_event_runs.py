"""filed floor event copies kept as one row per staff member per batch (floor_event_runs)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

A row per copy in floor_events put every recipient's copy in a different page of its (staff, seq)
index: filing one event for a floor of 200 clerks rewrote about 200 pages. floor_event_runs holds one
row per staff member per filed batch, [[seq, event_id], ...], so a batch touches those pages once.
The upgrade moves the filed copies into runs of up to 500 per staff member; the downgrade expands the runs back into
floor_events rows, so no copy is lost either way.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Filed copies moved per run row by the upgrade.
_RUN = 500


def upgrade() -> None:
    op.create_table(
        "floor_event_runs",
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("newest_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("copies", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_floor_event_runs_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "last_seq", name=op.f("pk_floor_event_runs")),
    )
    with op.batch_alter_table("floor_event_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_floor_event_runs_newest_at"), ["newest_at"], unique=False)
    conn = op.get_bind()
    runs = sa.table(
        "floor_event_runs",
        sa.column("staff_id"),
        sa.column("last_seq"),
        sa.column("first_seq"),
        sa.column("newest_at", sa.DateTime(timezone=True)),
        sa.column("copies", sa.JSON()),
    )
    filed = conn.execute(
        sa.text("SELECT staff_id, seq, event_id, created_at FROM floor_events ORDER BY staff_id, seq")
    ).all()
    rows: list[dict[str, Any]] = []
    for staff_id, seq, event_id, created_at in filed:
        if not rows or rows[-1]["staff_id"] != staff_id or len(rows[-1]["copies"]) >= _RUN:
            rows.append({"staff_id": staff_id, "first_seq": seq, "copies": [], "newest_at": None})
        run = rows[-1]
        run["last_seq"] = seq
        run["copies"].append([int(seq), event_id])
        at = _timestamp(created_at)
        run["newest_at"] = at if run["newest_at"] is None else max(run["newest_at"], at)
    if rows:
        conn.execute(sa.insert(runs), rows)
    with op.batch_alter_table("floor_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_events_event_id"))
        batch_op.drop_index("ix_floor_events_created_at")
    op.drop_table("floor_events")


def downgrade() -> None:
    op.create_table(
        "floor_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_floor_events_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["floor_event_bodies.event_id"],
            name=op.f("fk_floor_events_event_id_floor_event_bodies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_events")),
        sa.UniqueConstraint("staff_id", "seq", name=op.f("uq_floor_events_staff_id_seq")),
    )
    with op.batch_alter_table("floor_events", schema=None) as batch_op:
        batch_op.create_index("ix_floor_events_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_floor_events_event_id"), ["event_id"], unique=False)
    conn = op.get_bind()
    created = dict(conn.execute(sa.text("SELECT event_id, created_at FROM floor_event_bodies")).all())
    insert = sa.text(
        "INSERT INTO floor_events (staff_id, seq, event_id, created_at) "
        "VALUES (:staff_id, :seq, :event_id, :created_at)"
    )
    for staff_id, copies in conn.execute(sa.text("SELECT staff_id, copies FROM floor_event_runs")).all():
        pairs = json.loads(copies) if isinstance(copies, str) else copies
        # A copy whose body was pruned has nothing left to replay.
        rows = [
            {"staff_id": staff_id, "seq": int(seq), "event_id": event_id, "created_at": created[event_id]}
            for seq, event_id in pairs
            if event_id in created
        ]
        if rows:
            conn.execute(insert, rows)
    with op.batch_alter_table("floor_event_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_event_runs_newest_at"))
    op.drop_table("floor_event_runs")


def _timestamp(value: datetime | str) -> datetime:
    """A timestamp as read back by plain SQL (SQLite gives text, PostgreSQL a datetime)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
