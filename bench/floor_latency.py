"""How fast a member's arrival reaches 200 clerks' phones (target: push p99 under 50 ms).

Run: python bench/floor_latency.py [--data PATH] [--members N] [--clerks N] [--arrivals N] [--burst N].
Builds a fresh SQLite file in a temp dir: the Online Retail development data imported (loyalty caught up
as of 2011-12-10), demo identities, generated members up to N; then one store with `--clerks` clerk
accounts and a few door-scanner (cashier) accounts. Serves the real app (real bundled encoder, business
clock pinned to 2011-12-10) with ONE uvicorn subprocess on loopback, connects every clerk's floor socket
(bench/phone_socket.py: a lean WebSocket client, so that this one process reading 200 phones' frames
takes as little as it can of the two cores the server runs on), warms up, then times:
- push: from the start of POST /stores/{id}/arrivals (by card) to each clerk's receipt of the event,
  arrivals one after another (every receipt is a sample);
- arrivals_per_s: a burst of `--burst` arrivals, 8 at a time, until every clerk has every event;
- chat: POST /members/{id}/chat turns, one after another;
- the floor: a bare WebSocket echo of an event-sized frame on loopback, plus the arrival's own SQL
  statements replayed with sqlite3 (rolled back), plus one faiss search of the catalogue index.
Ends with one JSON line: {"push_p50_ms", "push_p99_ms", "arrivals_per_s", "chat_p99_ms",
"ratio_to_floor", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import phone_socket  # noqa: E402
import uvloop  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from phone_socket import PhoneSocket  # noqa: E402
from profile_latency import generate_members, percentiles  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import Engine, event, select  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import ServerConnection, serve  # noqa: E402

from server.app import create_app  # noqa: E402
from server.arrivals.schemas import ArrivalCreate  # noqa: E402
from server.arrivals.service import Arrival, announce_arrival  # noqa: E402
from server.auth.roles import Role  # noqa: E402
from server.auth.tokens import issue_token  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.base import utcnow  # noqa: E402
from server.db.session import make_engine, session_scope  # noqa: E402
from server.db.tables import Member, Staff, Store  # noqa: E402
from server.demo.imported import give_demo_identities  # noqa: E402
from server.importer.service import import_online_retail  # noqa: E402
from server.jobs.catch_up import catch_up  # noqa: E402
from server.realtime.service import build_floor  # noqa: E402
from server.recommendations.engine import holder_for  # noqa: E402
from server.staff.service import create_staff  # noqa: E402
from server.tags.examples import ensure_example_rules  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
EMBEDDING_CACHE = Path.home() / ".cache" / "aisle" / "bench-floor"
NOW = datetime(2011, 12, 10, 10, tzinfo=UTC)
SCANNERS = 20  # door-scanner accounts: a look-up is limited to 60 a minute per account
WAIT = 30.0
READY_WAIT = 600.0  # a hang guard: the model's first load on a busy machine
_HEAD = re.compile(r'\{"type":"event","seq":\d+,"event_id":"(?P<event_id>[0-9a-f-]{36})"')
CHATS = ["a gift for her mother under 30", "cheaper", "not candles", "something for the kitchen"]


def bench_app() -> FastAPI:
    """The server subprocess's app (uvicorn --factory): the real app, its business clock set to NOW.

    Shifted as `aisle demo` shifts it for historical data (time runs on from NOW), not by overriding
    `get_now`: with any dependency override FastAPI rebuilds every route's dependencies per request.
    """
    app = create_app()
    app.state.clock_offset = NOW - utcnow()
    return app


def build(args: argparse.Namespace, tmp: Path) -> tuple[AppContext, Settings, dict[str, Any]]:
    """The database: development data, identities, padded members, the store's clerks and scanners."""
    settings = Settings(
        data_dir=EMBEDDING_CACHE,
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        secret_key=SecretStr("bench-secret-key-0123456789"),
        redis_url="",
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    context = AppContext.from_settings(settings, engine)
    import_online_retail(engine, args.data)
    with engine.begin() as conn:
        give_demo_identities(conn, context.keys)
    with session_scope(context.sessions) as session:
        ensure_example_rules(session, NOW)
        catch_up(session, NOW)
    generate_members(engine, args.members, args.seed)
    with session_scope(context.sessions) as session:
        store_id = session.scalars(select(Store.id).order_by(Store.id)).first()
        assert store_id is not None
        staff = [
            create_staff(
                session,
                login=f"bench-{kind}-{n}",
                display_name=f"Bench {kind} {n}",
                password="bench-password-0123",
                roles=[(role, store_id)],
            )
            for kind, role, count in (("clerk", Role.CLERK, args.clerks), ("door", Role.CASHIER, SCANNERS))
            for n in range(count)
        ]
        cards = list(session.scalars(select(Member.card_number).where(Member.card_number.is_not(None))))
        token = {
            s.id: issue_token(context.keys.jwt, staff_id=s.id, version=s.token_version, minutes=120)
            for s in staff
        }
        clerks = [s.id for s in staff[: args.clerks]]
        scanners = [s.id for s in staff[args.clerks :]]
    random.Random(args.seed).shuffle(cards)
    world_cards = itertools.cycle(cards)
    return (
        context,
        settings,
        {
            "store": store_id,
            "token": token,
            "clerks": clerks,
            "scanners": scanners,
            "cards": cards,
            "card_queue": world_cards,
            "failed": [],
            "post": [],
            "engine": engine,
        },
    )


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """One uvicorn process serving `bench_app` on loopback; SIGTERM ends it with 0 (bench/serve_app.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")} | {
        "AISLE_DATABASE_URL": settings.resolved_database_url,
        "AISLE_DATA_DIR": str(settings.data_dir),
        "AISLE_SECRET_KEY": "bench-secret-key-0123456789",
        "AISLE_REDIS_URL": "",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
    }
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "serve_app.py"),
        "floor_latency:bench_app",
        "--host",
        "127.0.0.1",
    ]
    # As `aisle serve` runs it (server.app.SERVE_OPTIONS): no per-message deflate.
    cmd += [
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--ws-max-queue",
        "64",
        "--ws-per-message-deflate",
        "false",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


class Phones:
    """The clerks' floor sockets and when each event reached each of them."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.receipts: dict[str, list[float]] = defaultdict(list)
        self.done: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.sample_frame = ""
        self.sockets: list[PhoneSocket] = []

    async def join(self, url: str, token: str) -> None:
        """Connect one phone and wait for its hello and ready; then every event is stamped on arrival."""
        ready = asyncio.get_running_loop().create_future()

        def before_ready(message: str | bytes, _at: float) -> None:
            if json.loads(message)["type"] == "ready" and not ready.done():
                ready.set_result(None)

        listener = _Listener(before_ready)
        # Signed in as the app's phones are: the token in the handshake's subprotocols, never in the URL.
        signed_in = phone_socket.connect(url, listener, ["aisle.v1", f"bearer.{token}"])
        phone = await asyncio.wait_for(signed_in, WAIT)
        await asyncio.wait_for(ready, WAIT)
        listener.call = self._heard
        self.sockets.append(phone)

    def _heard(self, message: str | bytes, at: float) -> None:
        # 200 phones parse their frames on 200 CPUs; this one process reads them all (phone_socket's
        # lean reader), so it reads only the frame's head (type and event id) and parses one whole
        # frame per event.
        text = message if isinstance(message, str) else message.decode()
        head = _HEAD.match(text)
        if head is None:
            return
        got = self.receipts[head["event_id"]]
        got.append(at)
        if len(got) == 1:
            frame = json.loads(text)
            assert frame["event_id"] == head["event_id"] and "member" in frame["payload"], text[:200]
            self.sample_frame = text
        if len(got) >= self.expected:
            self.done[head["event_id"]].set()

    def broken(self) -> list[str]:
        """Protocol errors the phones met (the run's figures are void if any)."""
        return [str(phone.error) for phone in self.sockets if phone.error is not None]

    async def close(self) -> None:
        """Hang up every phone (the closing handshake)."""
        await asyncio.gather(*(phone.close() for phone in self.sockets), return_exceptions=True)


class _Listener:
    """A phone's message callback, switched from the hello/ready handshake to stamping receipts."""

    def __init__(self, call: phone_socket.OnMessage) -> None:
        self.call = call

    def __call__(self, message: str | bytes, at: float) -> None:
        self.call(message, at)


async def arrive(
    http: httpx.AsyncClient, phones: Phones, world: dict[str, Any], n: int
) -> tuple[float, str, int]:
    """One arrival by card from a door scanner; (start, event id, member id) once every clerk has it."""
    scanner = world["scanners"][n % len(world["scanners"])]
    headers = {"Authorization": f"Bearer {world['token'][scanner]}"}
    url = f"/api/v1/stores/{world['store']}/arrivals"
    while True:
        card = next(world["card_queue"])
        started = time.perf_counter()
        try:
            got = await http.post(url, json={"card": card, "source": "door"}, headers=headers)
            if got.status_code != 500:
                break
        except httpx.TransportError:  # the server dropped the connection after the 500
            pass
        # models.candidates fails for a member none of whose purchases is in the index: count, move on.
        world["failed"].append(card)
    assert got.status_code == 202, got.text
    world["ok_card"] = card
    world["post"].append(time.perf_counter() - started)
    body = got.json()
    assert len(body["delivered_to"]) == phones.expected, body
    await asyncio.wait_for(phones.done[body["event_id"]].wait(), WAIT)
    return started, body["event_id"], body["member_id"]


async def echo_floor(frame: str, runs: int) -> list[float]:
    """Round trips of an event-sized frame through a bare WebSocket echo server on loopback."""

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, max_size=2**22) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", max_size=2**22) as ws:
            out = []
            for _ in range(runs):
                started = time.perf_counter()
                await ws.send(frame)
                await ws.recv()
                out.append(time.perf_counter() - started)
    return out


async def wait_ready(http: httpx.AsyncClient) -> None:
    """Until GET /health/ready answers 200: the server imported torch and the app, warmed the recommender
    up and rehearsed a first arrival (GET /health only says it is alive)."""
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        try:
            if (await http.get("/api/v1/health/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"the server was not ready after {READY_WAIT:.0f} s")


async def drive(args: argparse.Namespace, world: dict[str, Any], port: int) -> dict[str, Any]:
    """Connect the phones, warm up, and time pushes, the burst and chat turns."""
    base = f"127.0.0.1:{port}"
    phones = Phones(len(world["clerks"]))
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=600) as http:
        await wait_ready(http)
        for start in range(0, len(world["clerks"]), 20):
            await asyncio.gather(
                *(
                    phones.join(f"ws://{base}/api/v1/ws/floor", world["token"][c])
                    for c in world["clerks"][start : start + 20]
                )
            )
        # This process stands in for 200 phones: keep a full collection of its own large heap (the
        # database build, 100,000 cards) from pausing every phone at once in the middle of a sample.
        gc.collect()
        gc.freeze()
        first = time.perf_counter()
        await arrive(http, phones, world, 0)
        warm_s = time.perf_counter() - first
        for n in range(1, 21):
            await arrive(http, phones, world, n)
        push, visits, first_last = [], [], []
        world["post"].clear()
        for n in range(21, 21 + args.arrivals):
            started, event_id, member_id = await arrive(http, phones, world, n)
            times = [at - started for at in phones.receipts[event_id]]
            push += times
            first_last.append((min(times), max(times)))
            visits.append((world["ok_card"], member_id))
        gate = asyncio.Semaphore(8)
        offset = 21 + args.arrivals

        async def one(n: int) -> None:
            async with gate:
                await arrive(http, phones, world, n)

        started = time.perf_counter()
        await asyncio.gather(*(one(offset + n) for n in range(args.burst)))
        burst_s = time.perf_counter() - started
        chat = []
        for n, (card, member_id) in enumerate(visits[: args.chats // len(CHATS)]):
            # A clerk on the floor asks (a cashier at the door may not chat): they find the member by
            # card first, which opens a member of another store to them for the shift.
            clerk = {"Authorization": f"Bearer {world['token'][world['clerks'][n % len(world['clerks'])]]}"}
            found = await http.get("/api/v1/members/lookup", params={"card": card}, headers=clerk)
            assert found.status_code == 200, found.text
            session_id = None
            for message in CHATS:
                at = time.perf_counter()
                got = await http.post(
                    f"/api/v1/members/{member_id}/chat",
                    json={"message": message, "session_id": session_id},
                    headers=clerk,
                )
                chat.append(time.perf_counter() - at)
                assert got.status_code == 200, got.text
                session_id = got.json()["session_id"]
    broken = phones.broken()
    await phones.close()
    if broken:
        raise SystemExit(f"{len(broken)} phones broke the protocol, e.g. {broken[0]}")
    echo = await echo_floor(phones.sample_frame, 300)
    return {
        "posted": world["post"][: args.arrivals],
        "first_last": first_last,
        "push": push,
        "burst_s": burst_s,
        "chat": chat,
        "echo": echo,
        "warm_s": warm_s,
        "frame_bytes": len(phones.sample_frame.encode()),
    }


def _plain(params: Any) -> Any:
    """DB-API parameters as the sqlite3 module takes them (a tuple or a dict)."""
    return dict(params) if hasattr(params, "keys") else tuple(params)


def capture(engine: Engine, call: Any) -> list[tuple[str, Any, bool]]:
    """The SQL statements `call` sends: (statement, DB-API parameters, executemany)."""
    sent: list[tuple[str, Any, bool]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        # Batched INSERT ... VALUES (...), (...) comes as one flat tuple: only a list of rows is many.
        many = isinstance(params, list) and bool(params) and not isinstance(params[0], (int, float, str))
        sent.append((statement, [_plain(p) for p in params] if many else _plain(params), many))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def sql_floor(context: AppContext, world: dict[str, Any], runs: int) -> tuple[list[float], list[float], int]:
    """The arrival's own SQL replayed bare (sqlite3, rolled back) and one faiss search; their timings."""
    rec = holder_for(context).get()
    floor = build_floor(context)
    engine: Engine = world["engine"]
    scanner, card = world["scanners"][0], world["ok_card"]

    async def on_the_floor() -> None:
        # This process has no phones: put the clerks on its floor, so the arrival publishes to them
        # as the server does (one event for the floor and the member's consultants).
        for clerk in world["clerks"]:
            await floor.presence.join(world["store"], clerk, f"bench-{clerk}")

    asyncio.run(on_the_floor())

    def arrival() -> None:
        with context.sessions() as session:
            caller = session.get(Staff, scanner)
            assert caller is not None
            how = Arrival(caller=caller, store_id=world["store"], now=NOW, window_days=30)
            announce_arrival(session, context, floor, rec, how, ArrivalCreate(card=card, source="door"))
            session.rollback()

    statements = capture(engine, arrival)
    conn = sqlite3.connect(engine.url.database or "", isolation_level=None)
    sql = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute("BEGIN")
        for statement, params, many in statements:
            (conn.executemany if many else conn.execute)(statement, params).fetchall()
        conn.execute("ROLLBACK")
        sql.append(time.perf_counter() - started)
    conn.close()
    rng = np.random.default_rng(0)
    query = rng.standard_normal((1, rec.encoder.dimensions)).astype(np.float32)
    query /= np.linalg.norm(query)
    faiss = []
    for _ in range(runs):
        started = time.perf_counter()
        rec.index.search(query, 50)
        faiss.append(time.perf_counter() - started)
    return sql, faiss, len(statements)


def main() -> None:
    """Build, serve, time, print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--clerks", type=int, default=200)
    parser.add_argument("--arrivals", type=int, default=200)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--chats", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    EMBEDDING_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        context, settings, world = build(args, Path(tmp))
        build_s = time.perf_counter() - began
        server = start_server(settings, args.port)
        try:
            timed = uvloop.run(drive(args, world, args.port))
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        sql, faiss, statements = sql_floor(context, world, 50)
        world["engine"].dispose()
    push_p50, push_p99 = percentiles(timed["push"])
    echo_p50, _ = percentiles(timed["echo"])
    sql_p50, _ = percentiles(sql)
    faiss_p50, _ = percentiles(faiss)
    floor_ms = echo_p50 + sql_p50 + faiss_p50
    print(
        json.dumps(
            {
                "push_p50_ms": push_p50,
                "push_p99_ms": push_p99,
                "arrivals_per_s": round(args.burst / timed["burst_s"], 1),
                "chat_p99_ms": percentiles(timed["chat"])[1],
                "ratio_to_floor": round(push_p50 / floor_ms, 1),
                "floor_ms": round(floor_ms, 2),
                "post_response_p50_ms": percentiles(timed["posted"])[0],
                "first_receipt_p50_ms": percentiles([f for f, _ in timed["first_last"]])[0],
                "last_receipt_p50_ms": percentiles([last for _, last in timed["first_last"]])[0],
                "echo_p50_ms": echo_p50,
                "sql_p50_ms": sql_p50,
                "sql_statements": statements,
                "faiss_p50_ms": faiss_p50,
                "receipts": len(timed["push"]),
                "members_failing_500": len(world["failed"]),
                "clerks": args.clerks,
                "event_bytes": timed["frame_bytes"],
                "warm_up_s": round(timed["warm_s"], 1),
                "build_s": round(build_s, 1),
                "server_exit": server.returncode,  # 0: stopped by SIGTERM as `aisle serve` is
            }
        )
    )


if __name__ == "__main__":
    main()
