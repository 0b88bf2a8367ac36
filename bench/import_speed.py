"""How fast the Online Retail importer fills a fresh SQLite database, against a bare executemany.

Run: python bench/import_speed.py [PATH]. Prints one JSON line:
{"seconds", "lines_per_s", "ratio_to_executemany", ...}. The baseline inserts the very rows the import
stored (read back from its database) into another freshly migrated file with the sqlite3 module's
executemany in one transaction, with the same pragmas: the floor for writing those rows at all.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.db import migrate  # noqa: E402
from server.db.session import make_engine  # noqa: E402
from server.importer.service import import_online_retail  # noqa: E402

DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
)
# Parents before children, so every foreign key points at a row already there.
TABLES = ("stores", "products", "members", "transactions", "transaction_lines")


def fresh_database(path: Path) -> None:
    """Create a database file at `path` migrated to the newest schema."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()


def connect(path: Path) -> sqlite3.Connection:
    """A bare sqlite3 connection with the pragmas the server's engine sets."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def stored_rows(path: Path) -> dict[str, tuple[str, list[tuple[object, ...]]]]:
    """Per table: the INSERT statement and every row the import stored, in id order."""
    conn = connect(path)
    rows = {}
    for table in TABLES:
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
        names = [d[0] for d in cursor.description]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        rows[table] = (sql, cursor.fetchall())
    conn.close()
    return rows


def executemany_seconds(path: Path, rows: dict[str, tuple[str, list[tuple[object, ...]]]]) -> float:
    """Seconds to insert `rows` into the database at `path` with bare executemany, one transaction."""
    conn = connect(path)
    start = time.perf_counter()
    with conn:
        for sql, table_rows in rows.values():
            conn.executemany(sql, table_rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    """Import the file into one fresh database, write the same rows bare into another, print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aisle-bench-") as tmp:
        imported, baseline = Path(tmp) / "import.db", Path(tmp) / "baseline.db"
        fresh_database(imported)
        fresh_database(baseline)
        engine = make_engine(f"sqlite:///{imported}")
        start = time.perf_counter()
        summary = import_online_retail(engine, args.path, reject_path=Path(tmp) / "rejects.csv")
        seconds = time.perf_counter() - start
        engine.dispose()
        bare = executemany_seconds(baseline, stored_rows(imported))
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "lines_per_s": round(summary.lines_read / seconds),
                "ratio_to_executemany": round(seconds / bare, 2),
                "executemany_seconds": round(bare, 2),
                "lines_read": summary.lines_read,
                "lines_added": summary.lines_added,
                "rejected": summary.rejected,
            }
        )
    )


if __name__ == "__main__":
    main()
