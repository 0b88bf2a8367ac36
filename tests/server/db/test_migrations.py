"""The Alembic migrations build exactly the schema the ORM declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import migrate, tables  # noqa: F401
from server.db.base import Base
from server.db.session import make_engine
from server.realtime.store import events_after


def _two_staff(conn: Connection, at: str) -> None:
    """Staff 1 and 2, inserted with plain SQL (the schema may be an older revision's)."""
    conn.execute(
        text(
            "INSERT INTO staff (id, login, display_name, password_hash, active, locale, token_version,"
            " created_at) VALUES (1, 'a', 'A', 'x', true, 'en', 0, :at),"
            " (2, 'b', 'B', 'x', true, 'en', 0, :at)"
        ),
        {"at": at},
    )


def _bodies(conn: Connection, at: str, *event_ids: str) -> None:
    """A floor event body {"n": event_id} for each id, inserted with plain SQL (revision 0007 or later)."""
    for event_id in event_ids:
        conn.execute(
            text(
                "INSERT INTO floor_event_bodies (event_id, event_type, store_id, payload, created_at)"
                " VALUES (:e, 'member.arrived', NULL, :p, :at)"
            ),
            {"e": event_id, "p": f'{{"n": "{event_id}"}}', "at": at},
        )


def test_upgrade_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert migrate.current_revision(engine) is not None


def test_downgrade_to_base_and_back(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    assert "transaction_lines" in inspect(eng).get_table_names()
    migrate.downgrade(eng, "base")
    assert migrate.current_revision(eng) is None
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(eng)
    assert {"members", "products", "transactions", "staff_roles"} <= set(inspect(eng).get_table_names())
    eng.dispose()


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == before


def test_floor_events_logged_before_0007_are_kept_as_one_body_per_event(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng, "0006")
    at = "2011-12-10 10:00:00+00:00"
    with eng.begin() as conn:
        _two_staff(conn, at)
        rows = [(1, 1, "e-1"), (2, 1, "e-1"), (1, 2, "e-2")]
        for staff_id, seq, event_id in rows:
            conn.execute(
                text(
                    "INSERT INTO floor_events (staff_id, seq, event_id, event_type, store_id, payload,"
                    " created_at) VALUES (:s, :q, :e, 'member.arrived', NULL, :p, :at)"
                ),
                {"s": staff_id, "q": seq, "e": event_id, "p": f'{{"n": "{event_id}"}}', "at": at},
            )
    migrate.upgrade(eng)
    with Session(eng) as session:
        assert [(e.seq, e.event_id, e.payload) for e in events_after(session, 1, 0)] == [
            (1, "e-1", {"n": "e-1"}),
            (2, "e-2", {"n": "e-2"}),
        ]
        assert [e.event_id for e in events_after(session, 2, 0)] == ["e-1"]
    migrate.downgrade(eng, "0006")
    with eng.connect() as conn:
        back = conn.execute(
            text("SELECT staff_id, seq, event_type FROM floor_events ORDER BY staff_id, seq")
        ).all()
    assert [tuple(r) for r in back] == [
        (1, 1, "member.arrived"),
        (1, 2, "member.arrived"),
        (2, 1, "member.arrived"),
    ]
    eng.dispose()


def test_a_downgrade_below_0008_files_the_pending_copies(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng, "0009")
    at = "2011-12-10 10:00:00+00:00"
    with eng.begin() as conn:
        _two_staff(conn, at)
        _bodies(conn, at, "e-1")
        conn.execute(
            text("INSERT INTO floor_event_pending (event_id, copies) VALUES ('e-1', :c)"),
            {"c": "[[1, 4], [2, 9]]"},
        )
    migrate.downgrade(eng, "0007")
    with eng.connect() as conn:
        filed = conn.execute(text("SELECT staff_id, seq, event_id FROM floor_events ORDER BY staff_id")).all()
    assert [tuple(r) for r in filed] == [(1, 4, "e-1"), (2, 9, "e-1")]
    eng.dispose()


def test_copies_filed_one_row_each_before_0009_become_runs_and_come_back(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng, "0008")
    at = "2011-12-10 10:00:00+00:00"
    with eng.begin() as conn:
        _two_staff(conn, at)
        _bodies(conn, at, "e-1", "e-2", "e-3")
        filed = [(1, 1, "e-1"), (2, 1, "e-1"), (1, 2, "e-2"), (1, 3, "e-3"), (2, 2, "e-3")]
        for staff_id, seq, event_id in filed:
            conn.execute(
                text(
                    "INSERT INTO floor_events (staff_id, seq, event_id, created_at) VALUES (:s, :q, :e, :at)"
                ),
                {"s": staff_id, "q": seq, "e": event_id, "at": at},
            )
    migrate.upgrade(eng)
    assert "floor_events" not in inspect(eng).get_table_names()
    with Session(eng) as session:
        assert [(e.seq, e.event_id) for e in events_after(session, 1, 0)] == [
            (1, "e-1"),
            (2, "e-2"),
            (3, "e-3"),
        ]
        assert [(e.seq, e.payload) for e in events_after(session, 2, 1)] == [(2, {"n": "e-3"})]
    migrate.downgrade(eng, "0008")
    with eng.connect() as conn:
        back = conn.execute(text("SELECT staff_id, seq, event_id FROM floor_events ORDER BY staff_id, seq"))
        assert sorted(tuple(r) for r in back) == sorted(filed)
    eng.dispose()


def test_copies_pending_or_filed_before_0010_become_stream_runs_and_come_back(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng, "0009")
    at = "2011-12-10 10:00:00+00:00"
    with eng.begin() as conn:
        _two_staff(conn, at)
        _bodies(conn, at, "e-1", "e-2", "e-3", "e-4")
        # Staff 1: 1-2 filed, 3 and 5 pending, 4 lost, 6 handed out but not logged. Staff 2: 1 is a
        # copy whose body was pruned, 2 filed, 3 pending.
        runs = [(1, 1, 2, '[[1, "e-1"], [2, "e-2"]]'), (2, 1, 2, '[[1, "e-0"], [2, "e-1"]]')]
        for staff_id, first, last, copies in runs:
            conn.execute(
                text(
                    "INSERT INTO floor_event_runs (staff_id, first_seq, last_seq, newest_at, copies)"
                    " VALUES (:s, :f, :l, :at, :c)"
                ),
                {"s": staff_id, "f": first, "l": last, "at": at, "c": copies},
            )
        for event_id, copies in (("e-3", "[[1, 3], [2, 3]]"), ("e-4", "[[1, 5]]")):
            conn.execute(
                text("INSERT INTO floor_event_pending (event_id, copies) VALUES (:e, :c)"),
                {"e": event_id, "c": copies},
            )
        conn.execute(text("INSERT INTO floor_event_counters (staff_id, last_seq) VALUES (1, 6), (2, 3)"))
    migrate.upgrade(eng)
    assert not {"floor_event_pending", "floor_event_runs"} & set(inspect(eng).get_table_names())
    with eng.connect() as conn:
        placed = conn.execute(text("SELECT event_id, stream_id, pos FROM floor_event_bodies ORDER BY pos"))
        assert [tuple(r) for r in placed] == [("e-1", 0, 1), ("e-2", 0, 2), ("e-3", 0, 3), ("e-4", 0, 4)]
        runs_now = conn.execute(
            text("SELECT staff_id, first_seq, stream_id, first_pos FROM floor_copy_runs ORDER BY 1, 2")
        )
        # Numbers with no event left (staff 1's 4 and 6, staff 2's 1) point into stream -1 (empty).
        assert [tuple(r) for r in runs_now] == [
            (1, 1, 0, 1),
            (1, 4, -1, 1),
            (1, 5, 0, 4),
            (1, 6, -1, 1),
            (2, 1, -1, 1),
            (2, 2, 0, 1),
            (2, 3, 0, 3),
        ]
        counters = conn.execute(
            text(
                "SELECT staff_id, last_seq, stream_id, pos, run_first_seq FROM floor_event_counters"
                " ORDER BY 1"
            )
        )
        assert [tuple(r) for r in counters] == [(1, 6, -1, 1, 6), (2, 3, 0, 3, 3)]
    with Session(eng) as session:
        assert [(e.seq, e.event_id) for e in events_after(session, 1, 0)] == [
            (1, "e-1"),
            (2, "e-2"),
            (3, "e-3"),
            (5, "e-4"),
        ]
        assert [(e.seq, e.payload) for e in events_after(session, 2, 0)] == [
            (2, {"n": "e-1"}),
            (3, {"n": "e-3"}),
        ]
    migrate.downgrade(eng, "0009")
    with eng.connect() as conn:
        back = conn.execute(
            text("SELECT staff_id, first_seq, last_seq, copies FROM floor_event_runs ORDER BY staff_id")
        )
        rows = [(s, f, last, json.loads(c) if isinstance(c, str) else c) for s, f, last, c in back]
    # Every copy that can still be replayed, filed; the one whose body was pruned had nothing to give.
    assert rows == [
        (1, 1, 5, [[1, "e-1"], [2, "e-2"], [3, "e-3"], [5, "e-4"]]),
        (2, 2, 3, [[2, "e-1"], [3, "e-3"]]),
    ]
    eng.dispose()


def test_0017_binds_an_openid_to_one_member_at_a_time_and_downgrades(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate.upgrade(eng, "0017")
    at = "2026-12-08 10:00:00+00:00"
    bind = text(
        "INSERT INTO member_channel_identities (member_id, channel, app_id, openid_encrypted, openid_hash,"
        " source, bound_at, unbound_at) VALUES (:m, 'wechat', 'wx-app', :blob, :h, 'till', :at, :until)"
    )
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (id, name, gender, joined_on, marketing_consent, locale, created_at,"
                " updated_at) VALUES (1, 'A', 'unknown', '2026-01-01', false, 'zh', :at, :at),"
                " (2, 'B', 'unknown', '2026-01-01', false, 'zh', :at, :at)"
            ),
            {"at": at},
        )
        conn.execute(bind, {"m": 1, "blob": b"x", "h": "hash-1", "at": at, "until": at})  # unbound
        conn.execute(bind, {"m": 2, "blob": b"x", "h": "hash-1", "at": at, "until": None})
    with pytest.raises(IntegrityError), eng.begin() as conn:  # the openid is bound to member 2 now
        conn.execute(bind, {"m": 1, "blob": b"x", "h": "hash-1", "at": at, "until": None})
    migrate.downgrade(eng, "0016")
    assert "member_channel_identities" not in inspect(eng).get_table_names()
    migrate.upgrade(eng)
    assert "member_channel_identities" in inspect(eng).get_table_names()
    eng.dispose()
