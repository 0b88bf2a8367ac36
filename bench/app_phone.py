"""The phone side of bench/app_start.py: the app in a fresh process, timed from spawn to the floor, and
from each pushed arrival's receipt to the frame that shows its card. Prints one JSON line.

Not meant to be run by hand: app_start.py starts the server and passes --url, --spawned-at and the rest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile_app.offscreen import configure  # noqa: E402

configure()  # before Kivy's window exists

import httpx  # noqa: E402

from mobile_app.api.floor import FloorListener  # noqa: E402
from mobile_app.offscreen import Harness  # noqa: E402

WAIT = 60.0


class Stamps:
    """When each event reached the floor socket, and the first frame that showed its card on top."""

    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.rendered: dict[str, float] = {}
        self.last_flip = 0.0
        self.harness: Harness | None = None

    def listener(self, url: str, token: str, since: int, on_event: Any, on_status: Any) -> FloorListener:
        """The app's own FloorListener, with a stamp as each frame arrives (on the socket's thread)."""

        def stamped(frame: dict[str, Any]) -> None:
            self.received.setdefault(str(frame.get("event_id")), time.monotonic())
            on_event(frame)

        return FloorListener(url, token, since, stamped, on_status)

    def on_flip(self, *_: Any) -> None:
        """After each frame is drawn: note the time, and the event whose card is on top of the floor."""
        self.last_flip = time.monotonic()
        if self.harness is None or self.harness.current() != "floor":
            return
        views = self.harness.screen("floor").card_views()  # type: ignore[attr-defined]
        if views and views[0].card is not None:
            self.rendered.setdefault(views[0].card.event_id, self.last_flip)


def post_arrival(url: str, store: int, till_token: str, member: int) -> tuple[float, str]:
    """A till posts an arrival; (when it started, the event id)."""
    started = time.monotonic()
    got = httpx.post(
        f"{url}/api/v1/stores/{store}/arrivals",
        json={"member_id": member, "source": "till"},
        headers={"Authorization": f"Bearer {till_token}"},
        timeout=WAIT,
    )
    got.raise_for_status()
    return started, str(got.json()["event_id"])


def arrive_while_drawing(
    harness: Harness, stamps: Stamps, args: argparse.Namespace, member: int
) -> tuple[float, str]:
    """Post an arrival from a thread (the till) while this thread keeps drawing frames (the phone)."""
    result: dict[str, tuple[float, str]] = {}

    def till() -> None:
        result["done"] = post_arrival(args.url, args.store, args.till_token, member)

    thread = threading.Thread(target=till)
    thread.start()
    assert harness.pump(lambda: "done" in result and result["done"][1] in stamps.rendered, WAIT)
    thread.join()
    return result["done"]


def run_phone(args: argparse.Namespace) -> dict[str, Any]:
    """Launch, sign in, wait for the floor, then time the arrivals."""
    from kivy.core.window import Window

    stamps = Stamps()
    Window.bind(on_flip=stamps.on_flip)
    harness = Harness(Path(args.data), listener_factory=stamps.listener)
    stamps.harness = harness
    assert harness.pump(lambda: stamps.last_flip > 0 and harness.current() == "signin", WAIT)
    signin_drawn = stamps.last_flip
    screen = harness.screen("signin")
    screen.ids.server.text, screen.ids.username.text = args.url, args.login
    screen.ids.password.text = args.password
    screen.submit()
    online = 0.0

    def floor_live() -> bool:
        nonlocal online
        if not online and harness.current() == "floor" and harness.state.connection == "online":
            online = time.monotonic()
        return bool(online) and stamps.last_flip > online

    assert harness.pump(floor_live, WAIT), harness.state.error
    floor_drawn = stamps.last_flip
    members = [int(m) for m in args.members.split(",")][1:]
    push, post = [], []
    for n in range(args.arrivals):
        started, event_id = arrive_while_drawing(harness, stamps, args, members[n % len(members)])
        push.append(stamps.rendered[event_id] - stamps.received[event_id])
        post.append(stamps.rendered[event_id] - started)
    harness.close()
    ms = sorted(p * 1000 for p in push)
    return {
        "start_s": round(floor_drawn - args.spawned_at, 3),
        "push_render_ms": round(statistics.median(ms), 1),
        "push_render_p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "post_to_render_ms": round(statistics.median(post) * 1000, 1),
        "signin_screen_s": round(signin_drawn - args.spawned_at, 3),
        "sign_in_to_floor_s": round(floor_drawn - signin_drawn, 3),
        "arrivals": len(push),
    }


def main() -> None:
    """Parse what app_start.py passes, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--store", type=int, required=True)
    parser.add_argument("--members", required=True, help="comma-separated member ids of that store")
    parser.add_argument("--arrivals", type=int, default=20)
    parser.add_argument("--data", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--till-token", required=True)
    parser.add_argument("--spawned-at", type=float, required=True, help="time.monotonic() at spawn")
    print(json.dumps(run_phone(parser.parse_args())))


if __name__ == "__main__":
    main()
