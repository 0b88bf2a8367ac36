"""floor events numbered in their floor's stream; copies kept as runs of consecutive positions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:30:00.000000

Each store's floor events get a position in the floor's stream (floor_streams, floor_event_bodies
.stream_id/pos). A staff member's copies are kept as runs (floor_copy_runs): "from seq N on, stream S
from position P on", so an event for a whole floor writes no per-copy rows and nothing is filed
afterwards. floor_event_pending and floor_event_runs go.

The upgrade places every kept body in its store's stream (bodies of a deleted store in stream 0), in
the order they were created, and turns every staff member's copies, pending or filed, into runs; a
copy whose body is already gone, a number missing between two copies, and numbers handed out after
the newest copy are kept as runs in stream -1, which holds nothing, so no number is ever matched to
another event. The downgrade expands the runs back into floor_event_runs rows (up to 500 copies
each), so no copy is lost either way.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)
# Where the numbers of copies whose event is gone point: a stream no floor ever has.
_GONE = -1
# Copies per floor_event_runs row written by the downgrade.
_RUN = 500

_streams = sa.table("floor_streams", sa.column("stream_id"), sa.column("last_pos"))
_copy_runs = sa.table(
    "floor_copy_runs",
    sa.column("staff_id"),
    sa.column("first_seq"),
    sa.column("stream_id"),
    sa.column("first_pos"),
    sa.column("started_at", _WHEN),
)
_old_runs = sa.table(
    "floor_event_runs",
    sa.column("staff_id"),
    sa.column("last_seq"),
    sa.column("first_seq"),
    sa.column("newest_at", _WHEN),
    sa.column("copies", sa.JSON()),
)


def upgrade() -> None:
    op.create_table(
        "floor_streams",
        sa.Column("stream_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_pos", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_floor_streams")),
    )
    op.create_table(
        "floor_copy_runs",
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("stream_id", sa.BigInteger(), nullable=False),
        sa.Column("first_pos", sa.BigInteger(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_floor_copy_runs_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "first_seq", name=op.f("pk_floor_copy_runs")),
    )
    with op.batch_alter_table("floor_event_counters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("pos", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("run_first_seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("floor_event_bodies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("pos", sa.BigInteger(), nullable=True))
    _place_bodies_and_copies()
    with op.batch_alter_table("floor_event_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_event_runs_newest_at"))
    op.drop_table("floor_event_runs")
    op.drop_table("floor_event_pending")
    with op.batch_alter_table("floor_event_bodies", schema=None) as batch_op:
        batch_op.alter_column("stream_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("pos", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_floor_event_bodies_stream_id_pos"), ["stream_id", "pos"]
        )


def _place_bodies_and_copies() -> None:
    conn = op.get_bind()
    bodies = conn.execute(
        sa.text("SELECT event_id, store_id, created_at FROM floor_event_bodies ORDER BY created_at, event_id")
    ).all()
    place: dict[str, tuple[int, int, datetime]] = {}
    last_pos: dict[int, int] = {}
    for event_id, store_id, created_at in bodies:
        stream = int(store_id) if store_id is not None else 0
        last_pos[stream] = last_pos.get(stream, 0) + 1
        place[event_id] = (stream, last_pos[stream], _timestamp(created_at))
    if place:
        conn.execute(
            sa.text("UPDATE floor_event_bodies SET stream_id = :s, pos = :p WHERE event_id = :e"),
            [{"e": e, "s": s, "p": p} for e, (s, p, _) in place.items()],
        )
        conn.execute(sa.insert(_streams), [{"stream_id": s, "last_pos": p} for s, p in last_pos.items()])
    copies: dict[int, dict[int, str]] = {}
    for event_id, pairs in conn.execute(sa.text("SELECT event_id, copies FROM floor_event_pending")).all():
        for staff_id, seq in _json(pairs):
            copies.setdefault(int(staff_id), {})[int(seq)] = event_id
    for staff_id, pairs in conn.execute(sa.text("SELECT staff_id, copies FROM floor_event_runs")).all():
        for seq, event_id in _json(pairs):
            copies.setdefault(int(staff_id), {})[int(seq)] = event_id
    counters = dict(conn.execute(sa.text("SELECT staff_id, last_seq FROM floor_event_counters")).all())
    oldest = min((at for _, _, at in place.values()), default=datetime.now(UTC))
    runs: list[dict[str, Any]] = []
    newest: list[dict[str, Any]] = []
    for staff_id, numbered in copies.items():
        staff_runs, tail = _runs_of(staff_id, numbered, int(counters.get(staff_id, 0)), place, oldest)
        runs += staff_runs
        newest.append(tail)
    if runs:
        conn.execute(sa.insert(_copy_runs), runs)
    # Replay reads a staff member's counter first: every staff member with copies gets one that
    # reaches their newest copy.
    missing = [tail for tail in newest if tail["staff_id"] not in counters]
    if missing:
        conn.execute(
            sa.text("INSERT INTO floor_event_counters (staff_id, last_seq) VALUES (:staff_id, :last_seq)"),
            missing,
        )
    if newest:
        conn.execute(
            sa.text(
                "UPDATE floor_event_counters SET last_seq = :last_seq, stream_id = :stream_id, pos = :pos, "
                "run_first_seq = :run_first_seq WHERE staff_id = :staff_id"
            ),
            newest,
        )


def _runs_of(
    staff_id: int,
    numbered: dict[int, str],
    counter: int,
    place: dict[str, tuple[int, int, datetime]],
    oldest: datetime,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One staff member's copies (seq -> event id) as runs, and their counter's newest copy."""
    runs: list[dict[str, Any]] = []
    prev: tuple[int, int, int] | None = None  # seq, stream, position of the previous number
    started = oldest
    top = max(max(numbered), counter)
    seq = min(numbered)
    while seq <= top:
        event_id = numbered.get(seq)
        if event_id is not None and event_id in place:
            stream, pos, started = place[event_id]
        elif prev is not None and prev[1] == _GONE:
            stream, pos = _GONE, prev[2] + 1
        else:
            stream, pos = _GONE, 1
        if prev is None or (stream, pos) != (prev[1], prev[2] + 1):
            runs.append(
                {
                    "staff_id": staff_id,
                    "first_seq": seq,
                    "stream_id": stream,
                    "first_pos": pos,
                    "started_at": started,
                }
            )
        prev = (seq, stream, pos)
        seq += 1
    return runs, {
        "staff_id": staff_id,
        "last_seq": top,
        "stream_id": prev[1] if prev else None,
        "pos": prev[2] if prev else None,
        "run_first_seq": runs[-1]["first_seq"] if runs else None,
    }


def downgrade() -> None:
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
    op.create_table(
        "floor_event_runs",
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("newest_at", _WHEN, nullable=False),
        sa.Column("copies", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_floor_event_runs_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "last_seq", name=op.f("pk_floor_event_runs")),
    )
    with op.batch_alter_table("floor_event_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_floor_event_runs_newest_at"), ["newest_at"], unique=False)
    _expand_runs()
    with op.batch_alter_table("floor_event_bodies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_floor_event_bodies_stream_id_pos"), type_="unique")
        batch_op.drop_column("pos")
        batch_op.drop_column("stream_id")
    with op.batch_alter_table("floor_event_counters", schema=None) as batch_op:
        batch_op.drop_column("run_first_seq")
        batch_op.drop_column("pos")
        batch_op.drop_column("stream_id")
    op.drop_table("floor_copy_runs")
    op.drop_table("floor_streams")


def _expand_runs() -> None:
    conn = op.get_bind()
    bodies = {
        (int(stream), int(pos)): (event_id, _timestamp(created_at))
        for event_id, stream, pos, created_at in conn.execute(
            sa.text("SELECT event_id, stream_id, pos, created_at FROM floor_event_bodies")
        )
    }
    counters = dict(conn.execute(sa.text("SELECT staff_id, last_seq FROM floor_event_counters")).all())
    runs: dict[int, list[tuple[int, int, int]]] = {}
    for staff_id, first_seq, stream, first_pos in conn.execute(
        sa.text(
            "SELECT staff_id, first_seq, stream_id, first_pos FROM floor_copy_runs ORDER BY staff_id, first_seq"
        )
    ):
        runs.setdefault(int(staff_id), []).append((int(first_seq), int(stream), int(first_pos)))
    rows: list[dict[str, Any]] = []
    for staff_id, staff_runs in runs.items():
        copies: list[tuple[int, str, datetime]] = []
        for i, (first_seq, stream, first_pos) in enumerate(staff_runs):
            end = staff_runs[i + 1][0] - 1 if i + 1 < len(staff_runs) else int(counters.get(staff_id, 0))
            for seq in range(first_seq, end + 1):
                body = bodies.get((stream, first_pos + seq - first_seq))
                if body is not None:  # a copy whose body was pruned has nothing left to replay
                    copies.append((seq, body[0], body[1]))
        for start in range(0, len(copies), _RUN):
            chunk = copies[start : start + _RUN]
            rows.append(
                {
                    "staff_id": staff_id,
                    "first_seq": chunk[0][0],
                    "last_seq": chunk[-1][0],
                    "newest_at": max(at for _, _, at in chunk),
                    "copies": [[seq, event_id] for seq, event_id, _ in chunk],
                }
            )
    if rows:
        conn.execute(sa.insert(_old_runs), rows)


def _json(value: Any) -> Any:
    """A JSON column as read back by plain SQL (SQLite gives text, PostgreSQL the value)."""
    return json.loads(value) if isinstance(value, str) else value


def _timestamp(value: datetime | str) -> datetime:
    """A timestamp as read back by plain SQL (SQLite gives text, PostgreSQL a datetime)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
