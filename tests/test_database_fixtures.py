"""The `engine` fixture's copy of the session's migrated template is the database the migrations build,
object for object, on SQLite and PostgreSQL, and its ids, keys and indexes behave as a migrated one's."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import migrate
from server.db.session import make_engine
from server.db.tables import Staff, StaffRole, Store
from tests.conftest import postgres_schema
from tests.fixtures.databases import SchemaTemplates

# The PostgreSQL catalog, read relative to the current schema so two schemas' answers can be compared.
PG_CATALOG = {
    "relations": (
        "SELECT relname, relkind, relpersistence, obj_description(oid, 'pg_class') FROM pg_class"
        " WHERE relnamespace = current_schema()::regnamespace"
    ),
    "columns": (
        "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        " pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation::regcollation::text,"
        " col_description(c.oid, a.attnum) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped"
    ),
    "constraints": (
        "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid), k.condeferrable,"
        " k.condeferred, k.convalidated, i.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " LEFT JOIN pg_class i ON i.oid = k.conindid WHERE c.relnamespace = current_schema()::regnamespace"
    ),
    "indexes": (
        "SELECT c.relname, t.relname, regexp_replace(pg_get_indexdef(i.indexrelid), ' ON \\S+\\.', ' ON ')"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace"
    ),
    "sequences": (
        "SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,"
        " s.seqcache, s.seqcycle, (SELECT string_agg(concat(t.relname, '.', a.attname, ':', d.deptype), ',')"
        " FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid"
        " AND a.attnum = d.refobjsubid WHERE d.objid = c.oid AND d.refobjsubid > 0)"
        " FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace"
    ),
    "types": (
        "SELECT typname, typtype FROM pg_type WHERE typnamespace = current_schema()::regnamespace"
        " AND typrelid = 0"
    ),
    "functions": "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
    "triggers": (
        "SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal"
    ),
}


def _sorted(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return sorted((tuple(row) for row in conn.execute(text(sql))), key=repr)


def _clauses(sql: str | None) -> list[str]:
    """The lines of a CREATE statement in sorted order: batch migrations list constraints in any order."""
    return sorted(line.strip().rstrip(",").strip() for line in (sql or "").splitlines())


def snapshot(engine: Engine) -> dict[str, object]:
    """Every object of the database's schema and every row, with nothing that names the schema."""
    found: dict[str, object] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            master = conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master")).all()
            found["objects"] = sorted((kind, name, table, _clauses(sql)) for kind, name, table, sql in master)
            tables = sorted(name for kind, name, _, _ in master if kind == "table")
            found["columns"] = [_sorted(conn, f'PRAGMA table_xinfo("{t}")') for t in tables]
            found["pragmas"] = [
                conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "user_version")
            ]
        else:
            found |= {part: _sorted(conn, sql) for part, sql in PG_CATALOG.items()}
            sequences = sorted(row[0] for row in conn.execute(text(PG_CATALOG["sequences"])))
            found["positions"] = [
                _sorted(conn, f'SELECT last_value, is_called FROM "{s}"') for s in sequences
            ]
            here = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            tables = sorted(row[0] for row in conn.execute(text(here)))
        found["rows"] = {t: _sorted(conn, f'SELECT * FROM "{t}"') for t in tables}
    return found


@pytest.fixture
def another(
    db_url: str, tmp_path: Path, schema_templates: SchemaTemplates
) -> Iterator[Callable[[bool], Engine]]:
    """Another database of the test's kind, brought to the newest schema by migrating or by copying."""
    with ExitStack() as stack:

        def make(migrated: bool) -> Engine:
            if db_url.startswith("sqlite"):
                url = f"sqlite:///{tmp_path / f'another-{uuid.uuid4().hex}.db'}"
            else:
                url = stack.enter_context(postgres_schema())
            eng = make_engine(url)
            stack.callback(eng.dispose)
            if migrated:
                migrate.upgrade(eng)
            else:
                schema_templates.copy_into(eng)
            return eng

        yield make


def test_the_copy_is_the_migrated_schema(engine: Engine, another: Callable[[bool], Engine]) -> None:
    copied, migrated = snapshot(engine), snapshot(another(True))
    assert copied["rows"]["alembic_version"]  # type: ignore[index]
    for part in migrated:
        assert copied[part] == migrated[part], part


def _store(session: Session, code: str) -> int:
    store = Store(code=code, name=code.upper())
    session.add(store)
    session.flush()
    return store.id


def test_ids_keys_and_indexes_work_on_the_copy(
    engine: Engine, another: Callable[[bool], Engine], schema_templates: SchemaTemplates
) -> None:
    with Session(engine) as session, session.begin():
        assert [_store(session, "a"), _store(session, "b")] == [1, 2]
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        _store(session, "a")  # the unique store code
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(StaffRole(staff_id=999, role="clerk", store_id=1))  # the foreign key to staff
    with Session(engine) as session, session.begin():
        staff = Staff(login="s", display_name="S", password_hash="x")
        session.add(staff)
        session.flush()
        session.add(StaffRole(staff_id=staff.id, role="admin", store_id=None))
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(StaffRole(staff_id=1, role="admin", store_id=None))  # the partial unique index
    # each copy numbers its rows with sequences of its own
    with Session(another(False)) as session, session.begin():
        assert _store(session, "c") == 1
    with Session(engine) as session, session.begin():
        assert _store(session, "c") > 2  # a failed insert may have used a number
    # a database that already has tables is migrated, not copied over
    schema_templates.copy_into(engine)
    with Session(engine) as session:
        assert session.query(Store).count() == 3  # a, b and c
