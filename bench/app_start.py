"""How fast the phone app starts, and how fast a pushed arrival becomes a card on the clerk's screen.

Run: python bench/app_start.py [--members N] [--arrivals N] [--port P].
Builds the generated demo chain (`aisle demo --generate`, N members) in a temp dir, serves it with
`aisle serve` in a subprocess, warms the recommender up, then launches the app in a FRESH process
(offscreen, 1080x2340 at density 3) that signs in as sh.clerk1 the moment the sign-in screen is drawn:
- start_s: from spawning the app's process to the floor screen drawn with the live feed connected
  (interpreter, Kivy, window, screens, sign-in round trip, floor socket);
- push_render_ms: from the floor socket receiving a `member.arrived` event to the frame that shows its
  card (median of `--arrivals` arrivals posted by a till, one after another); post_to_render_ms is the
  same from the start of the till's POST (server work included).
Targets: start under 2 s, push to rendered card under 100 ms. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLERK = ("sh.clerk1", "demo-sh-clerk1")
TILL = ("admin", "demo-admin")
SECRET = "bench-app-secret-key-0123456789"
WAIT = 120.0
READY_WAIT = 600.0  # a hang guard: the model's first load on a busy machine


def build_demo(data_dir: Path, members: int) -> tuple[int, list[int]]:
    """The generated demo chain in `data_dir`; Shanghai Jing'an's id and some of its members' ids."""
    from pydantic import SecretStr
    from sqlalchemy import select

    from server.config import Settings
    from server.db.tables import Member, Store
    from server.demo import service as demo

    settings = Settings(data_dir=data_dir, secret_key=SecretStr(SECRET), _env_file=None)  # type: ignore[call-arg]
    context = demo.open_demo_database(settings)
    demo.set_up_demo(context, generate=True, members=members)
    with context.sessions() as session:
        store = session.scalars(select(Store.id).where(Store.code == "SH-JINGAN")).one()
        ids = list(session.scalars(select(Member.id).where(Member.home_store_id == store).limit(40)))
    context.engine.dispose()
    return store, ids


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`aisle serve` on loopback, on the demo database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")}
    env |= {"AISLE_DATA_DIR": str(data_dir), "AISLE_SECRET_KEY": SECRET, "AISLE_REDIS_URL": ""}
    cmd = [sys.executable, "-c", "from server.cli import main; main()", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def token(url: str, login: tuple[str, str]) -> str:
    """A bearer token for a demo account."""
    got = httpx.post(f"{url}/api/v1/auth/token", data={"username": login[0], "password": login[1]})
    got.raise_for_status()
    return str(got.json()["access_token"])


def wait_and_warm(url: str, store: int, member: int) -> None:
    """Wait until the server is ready (GET /health/ready: recommender warmed up, a first arrival rehearsed;
    GET /health only says it is alive), then post one arrival before timing, as before."""
    deadline = time.monotonic() + READY_WAIT
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health/ready", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the demo server was not ready after {READY_WAIT:.0f} s")
        time.sleep(0.2)
    headers = {"Authorization": f"Bearer {token(url, TILL)}"}
    body = {"member_id": member, "source": "till"}
    httpx.post(f"{url}/api/v1/stores/{store}/arrivals", json=body, headers=headers, timeout=WAIT)


def launch_phone(args: argparse.Namespace, url: str, store: int, members: list[int]) -> dict[str, Any]:
    """Run the app in a fresh process and return what it measured."""
    data = tempfile.mkdtemp(prefix="aisle-phone-")
    cmd = [sys.executable, str(Path(__file__).with_name("app_phone.py")), "--url", url, "--store", str(store)]
    cmd += ["--members", ",".join(map(str, members)), "--arrivals", str(args.arrivals), "--data", data]
    cmd += ["--login", CLERK[0], "--password", CLERK[1], "--till-token", token(url, TILL)]
    spawned = time.monotonic()
    cmd += ["--spawned-at", repr(spawned)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=WAIT * 2)
    if done.returncode != 0:
        raise SystemExit(f"the phone process failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Build, serve, launch the phone, print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--arrivals", type=int, default=20)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        store, members = build_demo(Path(tmp), args.members)
        server = serve(Path(tmp), args.port)
        try:
            wait_and_warm(url, store, members[0])
            measured = launch_phone(args, url, store, members)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
