"""The outbox under load and a kill -9: every violation count it prints must be 0.

Run: python bench/outbox.py [--backend sqlite|postgresql|both] [--messages 20000] [--url PG_URL].
Builds a chain of its own (four stores in four time zones, two of them inside their quiet hours now),
members with phone numbers (a tenth opted out of marketing SMS), and `--messages` messages queued with
`enqueue`: service notices, marketing messages beyond the caps (2 a day) and one-time codes. A mock
Twilio-compatible provider on loopback logs every send. Then the real processes send them: on SQLite
`aisle serve` (its in-process dispatcher), on PostgreSQL one `aisle serve` with the dispatcher off and two
`aisle worker`s. While they send, members reply "TD" through the signed inbound webhook; once a third of
what may go now was sent after the replies, one dispatcher is killed with SIGKILL and started again (at
the end if it was all sent during the replies). When nothing due is left and
every unknown message was reconciled, it counts, from the provider's log and the database, one JSON line
per backend: {"backend", "messages", "sends_per_s", "duplicate_sends", "lost", "unknown_after_reconcile",
"sent_after_opt_out", "quiet_hour_violations", "cap_violations", ...}. sends_per_s is measured from the
last opt-out reply to the kill (one process sending, no restart in it); sends_per_s_while_replies_came
from the first send to the kill, with the 50 replies' opt-outs taking the write lock in between.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.integrity import free_port, postgres_schema  # noqa: E402
from server.config import Settings  # noqa: E402
from server.core.context import AppContext  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, session_scope  # noqa: E402
from server.db.tables import Member, MessageConsent, OutboxMessage, Store  # noqa: E402
from server.messaging import limits  # noqa: E402
from server.messaging.outbox import enqueue  # noqa: E402
from server.messaging.repository import MARKETING  # noqa: E402

SECRET = "outbox-bench-secret-0123456789abcd"
SID, TOKEN = "ACbench", "bench-token"
HOOK = "/api/v1/messaging/webhooks/twilio/inbound"
DAY_CAP, WEEK_CAP = 2, 6  # the settings' defaults, which the servers run with
ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "UTC")


class Provider:
    """A Twilio-compatible Messages API on loopback that logs each send (key, number, text, time)."""

    def __init__(self) -> None:
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits 40 ms for a delayed ACK

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                form = {
                    k: v[0]
                    for k, v in parse_qs(
                        self.rfile.read(int(self.headers["Content-Length"])).decode()
                    ).items()
                }
                key = unquote(form.get("StatusCallback", "").partition("key=")[2])
                with provider.lock:
                    sid = f"SM{len(provider.log)}"
                    provider.log.append(
                        {"sid": sid, "key": key, "to": form["To"], "body": form["Body"], "at": time.time()}
                    )
                self._answer({"sid": sid, "status": "queued"}, 201)

            def do_GET(self) -> None:
                to = parse_qs(urlsplit(self.path).query).get("To", [""])[0]
                with provider.lock:
                    found = [
                        {"sid": e["sid"], "body": e["body"], "status": "sent"}
                        for e in provider.log
                        if e["to"] == to
                    ]
                self._answer({"messages": found})

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed sender's socket: expected
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.log)


def _quiet(tz: str, now: datetime, inside: bool) -> tuple[str, str]:
    """Quiet hours in the store's local time that hold `now` (inside) or stay clear of the run."""
    local = now.astimezone(limits.zone(tz))
    start, end = (
        (local - timedelta(hours=1), local + timedelta(hours=3))
        if inside
        else (local + timedelta(hours=4), local + timedelta(hours=5))
    )
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def build(url: str, data_dir: Path, messages: int, seed: int) -> dict[str, Any]:
    """The chain and its queued messages, written through `enqueue` as the other packages write them."""
    settings = Settings(data_dir=data_dir, database_url=url, secret_key=SecretStr(SECRET), _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(url)
    migrate.upgrade(engine)
    context = AppContext.from_settings(settings, engine)
    rng, now = random.Random(seed), datetime.now(UTC)
    per_member = 10
    with session_scope(context.sessions) as s:
        stores = []
        for i, tz in enumerate(ZONES):
            start, end = _quiet(tz, now, inside=i in (1, 3))
            stores.append(
                Store(code=f"OB{i}", name=f"Store {i}", timezone=tz, quiet_start=start, quiet_end=end)
            )
        s.add_all(stores)
        s.flush()
        members = []
        for n in range(max(1, messages // per_member)):
            e164 = f"+86139{n:08d}"
            members.append(
                Member(
                    name=f"Member {n}",
                    phone_encrypted=context.keys.encrypt(e164),
                    phone_hash=context.keys.phone_hash(e164),
                    home_store_id=stores[n % len(stores)].id,
                    joined_on=now.date(),
                    marketing_consent=True,
                    locale=rng.choice(["zh-CN", "en"]),
                )
            )
        s.add_all(members)
        s.flush()
        opted = {m.id for m in members if rng.random() < 0.1}
        s.add_all(
            MessageConsent(
                member_id=m,
                channel="sms",
                purpose_class="marketing",
                granted=False,
                source="import",
                note="",
                occurred_at=now,
            )
            for m in sorted(opted)
        )
        n = 0
        for member in members:
            kinds = ["tier_change"] * 3 + ["member_day"] * 3 + ["campaign"] * 3 + ["otp"]
            for purpose in kinds[:per_member]:
                values: dict[str, Any] = {
                    "tier_change": {"old_tier": "silver", "new_tier": "gold"},
                    "member_day": {"event_date": now.date().isoformat()},
                    "campaign": {"text": "新品到店"},
                    "otp": {
                        "code": f"{rng.randrange(10**6):06d}",
                        "points": 2000,
                        "value": "20",
                        "minutes": 5,
                    },
                }[purpose]
                enqueue(s, member.id, purpose, values, key=f"bench:{n}", channel="sms", now=now)
                n += 1
        zones = {
            m.id: (
                stores[i % len(stores)].timezone,
                stores[i % len(stores)].quiet_start,
                stores[i % len(stores)].quiet_end,
            )
            for i, m in enumerate(members)
        }
    engine.dispose()
    open_members = sum(1 for i in range(len(members)) if i % len(stores) not in (1, 3))
    opted_open = sum(1 for i, m in enumerate(members) if m.id in opted and i % len(stores) not in (1, 3))
    expected = open_members * 6 - opted_open * 2 + (len(members) - open_members)
    return {
        "messages": n,
        "expected": expected,
        "opted": opted,
        "zones": zones,
        "members": [m.id for m in members],
        "start": now,
    }


def _env(url: str, data_dir: Path, provider: Provider, port: int, dispatcher: bool) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")} | {
        "AISLE_DATABASE_URL": url,
        "AISLE_DATA_DIR": str(data_dir),
        "AISLE_SECRET_KEY": SECRET,
        "AISLE_RECOMMENDER_WARM_UP": "false",
        "AISLE_MESSAGING_DISPATCHER": "true" if dispatcher else "false",
        "AISLE_MESSAGING_SMS_PROVIDER": "twilio",
        "AISLE_TWILIO_ACCOUNT_SID": SID,
        "AISLE_TWILIO_AUTH_TOKEN": TOKEN,
        "AISLE_TWILIO_FROM": "+15005550006",
        "AISLE_TWILIO_BASE_URL": provider.url,
        "AISLE_MESSAGING_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AISLE_MESSAGING_RATE_PER_SECOND": "{}",
        "AISLE_MESSAGING_CLAIM_SECONDS": "3",
        "AISLE_MESSAGING_RECONCILE_GRACE_SECONDS": "2",
        "AISLE_MESSAGING_POLL_SECONDS": "0.2",
    }


def start(env: dict[str, str], port: int, worker: bool) -> subprocess.Popen[bytes]:
    """`aisle serve` (through bench/serve_app.py) or `aisle worker`."""
    if worker:
        cmd = [sys.executable, "-c", "from server.cli import main; main()", "worker"]
    else:
        cmd = [
            sys.executable,
            str(ROOT / "bench" / "serve_app.py"),
            "server.app:create_app",
            "--port",
            str(port),
        ]
        cmd += ["--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def wait(check: Any, what: str, seconds: float = 600) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def opt_out(base: str, phone: str) -> float:
    """Reply TD through Twilio's signed inbound webhook; the time it was acknowledged (committed)."""
    url, form = f"{base}{HOOK}", {"From": phone, "Body": "TD"}
    data = url + "".join(k + v for k, v in sorted(form.items()))
    sign = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
    answer = httpx.post(url, data=form, headers={"X-Twilio-Signature": sign}, timeout=30)
    answer.raise_for_status()
    return time.time()


def run(backend: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        if backend == "postgresql":
            url = postgres_schema(url)
        else:
            url = f"sqlite:///{data_dir / 'outbox.db'}"
        try:
            return _drive(backend, url, data_dir, args)
        finally:
            if backend == "postgresql":
                postgres_schema(args.url, drop=url.rsplit("%3D", 1)[1])


def _drive(backend: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    world = build(url, data_dir, args.messages, args.seed)
    provider, port = Provider(), free_port()
    base = f"http://127.0.0.1:{port}"
    sqlite = backend == "sqlite"
    server = start(_env(url, data_dir, provider, port, dispatcher=sqlite), port, worker=False)
    workers = (
        [] if sqlite else [start(_env(url, data_dir, provider, port, False), port, True) for _ in range(2)]
    )
    engine = make_engine(url)
    processes = [server, *workers]
    try:
        wait(lambda: _up(base), "the server to answer")
        wait(lambda: provider.count() > 0, "the first send")
        first = provider.log[0]["at"]
        rng = random.Random(args.seed)
        late = [m for m in world["members"] if m not in world["opted"]]
        acks: dict[int, float] = {}
        for member_id in rng.sample(late, min(50, len(late))):
            acks[member_id] = opt_out(base, f"+86139{world['members'].index(member_id):08d}")
        replied_at, replied_count = time.time(), provider.count()
        # A third of what may still go now (caps and quiet hours hold the rest back).
        target = replied_count + max(1, (world["expected"] - replied_count) // 3)
        wait(lambda: provider.count() >= target or _settled(engine), f"{target} sends", 300)
        victim = server if sqlite else workers[0]
        victim.send_signal(signal.SIGKILL)
        killed_at, sent_before = time.time(), provider.count()
        victim.wait()
        restarted = start(_env(url, data_dir, provider, port, sqlite), port, worker=not sqlite)
        processes.append(restarted)
        wait(lambda: _settled(engine), "every due message to be sent and every unknown one reconciled")
        rate = (sent_before - replied_count) / max(1e-6, killed_at - replied_at)
        rate_with_replies = (sent_before - 1) / max(1e-6, killed_at - first)
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
    figures = audit(engine, provider, world, acks)
    engine.dispose()
    figures["sends_per_s_while_replies_came"] = round(rate_with_replies, 1)
    return {"backend": backend, "messages": world["messages"], "sends_per_s": round(rate, 1), **figures}


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _settled(engine: Any) -> bool:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        due = conn.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                (OutboxMessage.status.in_(("sending", "unknown")))
                | ((OutboxMessage.status == "queued") & (OutboxMessage.due_at <= now))
            )
        ).scalar()
    return due == 0


def audit(engine: Any, provider: Provider, world: dict[str, Any], acks: dict[int, float]) -> dict[str, Any]:
    """Count what must never happen."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                OutboxMessage.dedup_key,
                OutboxMessage.member_id,
                OutboxMessage.kind,
                OutboxMessage.status,
                OutboxMessage.sent_at,
            )
        ).all()
    by_key = {r.dedup_key: r for r in rows}
    keys = Counter(e["key"] for e in provider.log)
    statuses = Counter(r.status for r in rows)
    lost = sum(1 for r in rows if r.status in ("sent", "delivered") and r.dedup_key not in keys)
    lost += sum(1 for k in keys if k not in by_key or by_key[k].status not in ("sent", "delivered"))
    after, quiet, sends = 0, 0, defaultdict(list)
    for entry in provider.log:
        row = by_key.get(entry["key"])
        if row is None:
            continue
        at = datetime.fromtimestamp(entry["at"], UTC)
        marketing = row.kind in MARKETING
        if marketing and (
            row.member_id in world["opted"]
            or (row.member_id in acks and row.sent_at.timestamp() > acks[row.member_id])
        ):
            after += 1
        tz, start, end = world["zones"][row.member_id]
        if row.kind != "otp" and limits.quiet(
            at.astimezone(limits.zone(tz)).time(), limits.parse_hhmm(start), limits.parse_hhmm(end)
        ):
            quiet += 1
        if marketing:
            sends[row.member_id].append(at)
    caps = 0
    for times in sends.values():
        times.sort()
        for i, t in enumerate(times):
            day = sum(1 for u in times[: i + 1] if t - u < limits.DAY)
            week = sum(1 for u in times[: i + 1] if t - u < limits.WEEK)
            caps += int(day > DAY_CAP or week > WEEK_CAP)
    return {
        "duplicate_sends": sum(c - 1 for c in keys.values()),
        "lost": lost,
        "unknown_after_reconcile": statuses.get("unknown", 0),
        "sent_after_opt_out": after,
        "quiet_hour_violations": quiet,
        "cap_violations": caps,
        "provider_sends": sum(keys.values()),
        "statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--url", default=os.environ.get("AISLE_TEST_POSTGRES_URL", ""), help="PostgreSQL URL")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not args.url:
            raise SystemExit("--url (or AISLE_TEST_POSTGRES_URL) is needed for PostgreSQL")
        print(json.dumps(run(backend, args.url, args)), flush=True)


if __name__ == "__main__":
    main()
