"""How long one night takes with one worker and with several sharing its chunks (`--share`).

Run: python bench/nightly_share.py --url postgresql+psycopg://... [--members N] [--workers 1,2] [--chunk C].
For each worker count, fills a fresh schema on that server (created and dropped here) with the generated
chain of bench/retag.py and its tag rules, then starts that many processes, each running
`server.jobs.shared.share_night` for the same night, and times them until the last is done. Without
--url it uses a temporary SQLite file (one writer: workers take turns, so expect no gain there).
Worker count 0 times the night without --share (one unit of work), as the baseline.
Prints one JSON line per worker count: {"workers", "members", "chunks", "seconds", "step_seconds", ...}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retag import NOW, RULES, generate  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from server.db.tables import JobChunk  # noqa: E402
from server.jobs.nightly import run_nightly  # noqa: E402
from server.jobs.shared import night_report, run_key, share_night  # noqa: E402
from server.tags.service import create_rule  # noqa: E402


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A URL to an empty schema on the PostgreSQL server at `url` (dropped afterwards), or a SQLite file."""
    if not url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    schema = f"bench_night_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _worker(url: str, chunk: int, out: Any) -> None:
    engine = make_engine(url)
    night = share_night(make_session_factory(engine), NOW, chunk, pause=lambda: time.sleep(0.05))
    out.put(night.chunks_done_here)
    engine.dispose()


def one_run(url: str, members: int, workers: int, chunk: int, seed: int) -> dict[str, object]:
    """Fill a fresh database, then time `workers` processes sharing one night on it."""
    with fresh_database(url) as db:
        engine = make_engine(db)
        migrate.upgrade(engine)
        generate(engine, members, seed)
        with session_scope(make_session_factory(engine)) as session:
            for name, rule in RULES.items():
                create_rule(session, name, rule, NOW)
        started = time.perf_counter()
        if workers == 0:  # the baseline: `aisle jobs nightly` without --share, one unit of work
            with session_scope(make_session_factory(engine)) as session:
                alone = run_nightly(session, NOW)
            seconds = time.perf_counter() - started
            engine.dispose()
            return {
                "workers": 0,
                "members": members,
                "seconds": round(seconds, 2),
                "step_seconds": alone.seconds,
            }
        out: Any = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_worker, args=(db, chunk, out)) for _ in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        seconds = time.perf_counter() - started
        shares = sorted((out.get() for _ in procs if not out.empty()), reverse=True)
        with session_scope(make_session_factory(engine)) as session:
            step_seconds = night_report(session, run_key(NOW)).seconds
        with session_scope(make_session_factory(engine)) as session:
            done = session.scalar(
                select(func.count())
                .select_from(JobChunk)
                .where(JobChunk.status == "done", JobChunk.step != "plan")
            )
            left = session.scalar(select(func.count()).select_from(JobChunk).where(JobChunk.status == "due"))
        backend = engine.dialect.name
        engine.dispose()
    failed = [p.exitcode for p in procs if p.exitcode]
    return {
        "workers": workers,
        "members": members,
        "chunk": chunk,
        "chunks": done,
        "chunks_left": left,
        "failed_workers": len(failed),
        "chunks_per_worker": shares,
        "seconds": round(seconds, 2),
        "step_seconds": step_seconds,  # summed over chunks, whichever worker ran them
        "backend": backend,
    }


def main() -> None:
    """Time the night for each worker count; one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="A PostgreSQL server's database (schemas made here).")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument(
        "--workers", default="0,1,2", help="Worker counts to time, comma-separated (0: one unit of work)."
    )
    parser.add_argument("--chunk", type=int, default=2_000, help="Members per chunk.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for workers in (int(w) for w in args.workers.split(",")):
        print(json.dumps(one_run(args.url, args.members, workers, args.chunk, args.seed)), flush=True)


if __name__ == "__main__":
    main()
