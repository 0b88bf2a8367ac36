"""Regenerate the README's phone screenshots in docs/screenshots/ (offscreen, 1080x2340 at density 3).

Run: .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--port 8768]
Builds the generated demo chain in a temp dir, serves it with `aisle serve`, then drives the real app:
sign-in, the floor after three arrivals at the till, 王芳's 360° view in Chinese, a conversation with the
recommender, the VIP consultant's tasks and the manager's consultants. Prints the files it wrote.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mobile_app.offscreen import configure  # noqa: E402

configure()

import httpx  # noqa: E402
from app_start import TILL, build_demo, serve, token, wait_and_warm  # noqa: E402

from mobile_app.offscreen import Harness  # noqa: E402

WAIT = 60.0
CLERK, VIP, MANAGER = (
    ("sh.clerk1", "demo-sh-clerk1"),
    ("sh.vip", "demo-sh-vip"),
    ("sh.manager", "demo-sh-manager"),
)
FEATURED_CARD = "605000000014"  # 王芳, the demo chain's featured member


class Shooter:
    """The app, a server, and the PNGs written so far."""

    def __init__(self, url: str, store: int, out: Path, data: Path) -> None:
        self.url, self.store, self.out = url, store, out
        self.phone = Harness(data)
        self.written: list[Path] = []

    def wait(self, condition: object, what: str) -> None:
        """Run frames until `condition()` holds; stop with a message if it never does."""
        if not self.phone.pump(condition, WAIT):  # type: ignore[arg-type]
            raise SystemExit(f"{what} did not happen: {self.phone.state.error}")
        self.phone.settle(4)

    def shot(self, name: str) -> None:
        """Save what the app shows as docs/screenshots/<name>.png."""
        self.written.append(self.phone.save_png(self.out / f"{name}.png"))

    def sign_in(self, account: tuple[str, str], lang: str) -> None:
        """Sign in through the sign-in screen (signing out first), in `lang`."""
        state, controller = self.phone.state, self.phone.controller
        if state.staff is not None:
            controller.sign_out()
            self.wait(lambda: self.phone.current() == "signin", "signing out")
        screen = self.phone.screen("signin")
        screen.ids.server.text, screen.ids.username.text = self.url, account[0]
        screen.ids.password.text = account[1]
        screen.submit()
        self.wait(lambda: state.connection == "online" and self.phone.current() == "floor", "signing in")
        controller.set_language(lang)
        self.wait(lambda: state.lang == lang, "switching language")

    def arrive(self, **body: object) -> int:
        """A till posts an arrival; the member's id."""
        got = httpx.post(
            f"{self.url}/api/v1/stores/{self.store}/arrivals",
            json={"source": "till", **body},
            headers={"Authorization": f"Bearer {token(self.url, TILL)}"},
            timeout=WAIT,
        )
        got.raise_for_status()
        return int(got.json()["member_id"])


def take_all(s: Shooter, members: list[int]) -> None:
    """Every screenshot, in order."""
    phone, state = s.phone, s.phone.state
    screen = phone.screen("signin")
    screen.ids.server.text, screen.ids.username.text = s.url, CLERK[0]
    phone.settle(4)
    s.shot("signin")
    s.sign_in(CLERK, "zh")
    for member in members[1:3]:
        s.arrive(member_id=member)
    featured = s.arrive(card=FEATURED_CARD)
    s.wait(lambda: len(phone.screen("floor").card_views()) >= 3, "three arrivals")  # type: ignore[attr-defined]
    s.shot("floor")
    phone.controller.open_member(featured)
    phone.go("member")
    s.wait(
        lambda: state.member is not None and bool(state.recommendations) and not state.busy, "王芳's profile"
    )
    s.shot("member_zh")
    phone.screen("member").ids.scroll.scroll_y = 0.45
    s.shot("member_zh_suggestions")
    ask = phone.go("ask")
    for question in ("给她母亲的礼物", "便宜一些的"):
        turns = len(state.chat)
        ask.send(question)  # type: ignore[attr-defined]
        s.wait(lambda n=turns: len(state.chat) == n + 1 and not state.busy, "an answer")
    s.shot("ask")
    s.sign_in(VIP, "zh")
    phone.root.tab("tasks")
    s.wait(lambda: state.tasks is not None and not state.busy, "the task list")
    s.shot("tasks")
    s.sign_in(MANAGER, "en")
    phone.controller.open_member(featured)
    s.wait(lambda: state.member is not None and not state.busy, "the member for the manager")
    phone.root.tab("manager")
    s.wait(lambda: bool(state.consultants) and not state.busy, "the consultants")
    rows = phone.screen("manager").consultant_rows()  # type: ignore[attr-defined]
    if rows:
        rows[0].choose()
        phone.settle(4)
    s.shot("manager")


def main() -> None:
    """Build, serve, shoot, list the files."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--members", type=int, default=300)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        store, members = build_demo(Path(tmp) / "server", args.members)
        server = serve(Path(tmp) / "server", args.port)
        try:
            wait_and_warm(url, store, members[0])
            shooter = Shooter(url, store, args.out, Path(tmp) / "phone")
            started = time.monotonic()
            take_all(shooter, members)
            shooter.phone.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    for path in shooter.written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)  # noqa: T201
    print(f"{len(shooter.written)} screenshots in {time.monotonic() - started:.1f} s")  # noqa: T201


if __name__ == "__main__":
    main()
