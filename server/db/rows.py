"""Many rows in one INSERT statement whose compiled form is cached by shape, on SQLite and PostgreSQL.

SQLAlchemy compiles `insert(table).values([...])` again for every call, and its executemany path
builds and type-processes every parameter of every row in Python. The recommendations shown at an
arrival or a request (one row per item, and a "shown" feedback row for each) are written this way: the
statement is a `text()` clause built once per (table, columns, number of rows, tail), values shared by
every row (a member, a timestamp) are bound once, and only the columns that differ by row get a
parameter per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, TextClause

from server.core.words import counted
from server.db.session import core

# A statement is cached per distinct row count, which is bounded by how many items one showing lists.
CACHED_SHAPES = 512
# Rows per statement: well under SQLite's and PostgreSQL's limits on parameters per statement.
MAX_ROWS = 500


def insert_rows(
    session: Session,
    table: Table,
    shared: Mapping[str, Any],
    rows: Sequence[Sequence[Any]],
    row_columns: Sequence[str],
    tail: str = "",
) -> list[Result[Any]]:
    """INSERT `rows` (values of `row_columns`, each row also getting `shared`) in as few statements as
    the row limit allows; `tail` follows VALUES (ON CONFLICT ..., RETURNING ...). One result per statement.
    """
    shared_names = tuple(shared)
    # Shared values are converted for the database once here, not once per row they appear in.
    dialect = session.get_bind().dialect
    prepared = {}
    for name, value in shared.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        prepared[f"s_{name}"] = process(value) if process else value
    names = tuple(row_columns)
    results: list[Result[Any]] = []
    for start in range(0, len(rows), MAX_ROWS):
        chunk = rows[start : start + MAX_ROWS]
        stmt = _statement(table, shared_names, names, len(chunk), tail)
        params = dict(prepared)
        for i, row in enumerate(chunk):
            if len(row) != len(names):
                have, want = counted(len(row), "value"), counted(len(names), "column")
                raise ValueError(f"row {start + i} has {have} for {want}")
            params.update({f"r{i}_{n}": value for n, value in enumerate(row)})
        results.append(core(session).execute(stmt, params))
    return results


@lru_cache(maxsize=CACHED_SHAPES)
def _statement(
    table: Table, shared: tuple[str, ...], per_row: tuple[str, ...], count: int, tail: str
) -> TextClause:
    columns = ", ".join(shared + per_row)
    shared_marks = [f":s_{name}" for name in shared]
    values = ", ".join(
        "(" + ", ".join(shared_marks + [f":r{i}_{n}" for n in range(len(per_row))]) + ")"
        for i in range(count)
    )
    # Shared parameters carry no type: insert_rows has converted their values already.
    binds: list[BindParameter[Any]] = [bindparam(f"s_{name}") for name in shared]
    binds += [
        bindparam(f"r{i}_{n}", type_=table.c[name].type)
        for i in range(count)
        for n, name in enumerate(per_row)
    ]
    return text(f"INSERT INTO {table.name} ({columns}) VALUES {values} {tail}".rstrip()).bindparams(*binds)
