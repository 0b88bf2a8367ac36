"""`python -m mobile_app` on a desktop: a clean first start in a phone-shaped window at INFO, DEBUG when
asked, and one clear line (not an invisible window) when there is no display."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mobile_app.desktop import NO_DISPLAY, WINDOW, no_display, unreachable_display
from tests.mobile_app.conftest import DemoServer
from tests.mobile_app.processes import lines_until

ROOT = Path(__file__).resolve().parents[2]
STARTED = "Start application main loop"
# Only turns a hang (the old invisible window) into a failure: a first Kivy start on a loaded machine is slow.
HANG_GUARD = 300.0
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
SIZE = "x".join(map(str, WINDOW))


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A first start: a fresh Kivy home and data folder, no display, no xclip or xsel on the PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KIVY_", "KCFG_", "AISLE_")) and k not in DISPLAY_VARS
    }
    # Only the interpreter's folder: Kivy looks for xclip and xsel, which most desktops do not have.
    env["PATH"] = str(Path(sys.executable).parent)
    env |= {"KIVY_HOME": str(tmp_path / "kivy"), "AISLE_APP_DATA": str(tmp_path / "phone")}
    return env | extra


def run_to_the_end(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m mobile_app` and wait for it to exit by itself."""
    return subprocess.run(
        [sys.executable, "-m", "mobile_app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def start_up_lines(env: dict[str, str], *args: str) -> list[str]:
    """What `python -m mobile_app` logs until its main loop starts; then it is stopped."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_app", *args],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        return lines_until(proc, STARTED, HANG_GUARD, "the app")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=HANG_GUARD)


def free_display() -> str:
    """An X display number no server listens on."""
    taken = {p.name.removeprefix("X") for p in Path("/tmp/.X11-unix").glob("X*")}
    free = (n for n in range(77, 500) if str(n) not in taken and not Path(f"/tmp/.X{n}-lock").exists())
    return f":{next(free)}"


def window_line(lines: list[str], size: str) -> int | None:
    """Where the app says the size of the window it opened, if it does."""
    return next((i for i, line in enumerate(lines) if "Window" in line and size in line), None)


@pytest.mark.parametrize(
    ("environ", "platform", "said"),
    [
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"SDL_VIDEODRIVER": "offscreen"}, "linux", False),  # the user chose to run without a window
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_which_desktops_have_no_display(environ: dict[str, str], platform: str, said: bool) -> None:
    assert (no_display(environ, platform) is not None) == said
    # The window that opened shows on X11 (it has window info); SDL's silent fallback has none.
    if platform == "linux" and "DISPLAY" in environ:
        assert unreachable_display(environ, object(), platform) is None
        assert "DISPLAY=:0" in (unreachable_display(environ, None, platform) or "")


def test_the_first_start_is_clean_and_phone_shaped(tmp_path: Path) -> None:
    lines = start_up_lines(app_env(tmp_path, SDL_VIDEODRIVER="offscreen"))
    text = "".join(lines)
    # No CRITICAL "Cutbuffer" with two tracebacks for the missing xclip/xsel, no first-start config chatter.
    for word in ("CRITICAL", "Traceback", "ERROR", "DEBUG", "Older configuration version"):
        assert word not in text, text
    assert WINDOW[1] > WINDOW[0], "a phone is portrait"
    assert window_line(lines, SIZE) is not None, text
    assert any("xclip" in line and "INFO" in line for line in lines), "the missing xclip is one INFO line"


def test_debug_logging_when_asked(tmp_path: Path) -> None:
    env = app_env(tmp_path, SDL_VIDEODRIVER="offscreen", AISLE_APP_LOG_LEVEL="debug")
    lines = start_up_lines(env)
    opened = window_line(lines, SIZE)
    assert opened is not None, "".join(lines)
    # Still DEBUG once the app has set its logging up (building the screens, starting the main loop).
    assert any("DEBUG" in line for line in lines[opened:]), "".join(lines)


def test_a_window_size_of_ones_own(tmp_path: Path) -> None:
    lines = start_up_lines(app_env(tmp_path, SDL_VIDEODRIVER="offscreen"), "--window", "450x900")
    assert window_line(lines, "450x900") is not None, "".join(lines)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is how Linux desktops are found")
def test_without_a_display_one_line_says_what_to_do(tmp_path: Path) -> None:
    done = run_to_the_end(app_env(tmp_path))
    assert done.returncode == NO_DISPLAY, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("No display:")
    assert "DISPLAY" in lines[0] and "SDL_VIDEODRIVER=offscreen" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is how Linux desktops are found")
def test_a_display_nobody_serves_is_named(tmp_path: Path) -> None:
    display = free_display()
    done = run_to_the_end(app_env(tmp_path, DISPLAY=display))
    assert done.returncode == NO_DISPLAY, done.stderr
    last = done.stderr.splitlines()[-1]
    assert "No display" in last and f"DISPLAY={display}" in last and "SDL_VIDEODRIVER=offscreen" in last
    assert STARTED not in done.stderr


def test_in_the_desktop_window_no_button_sits_under_the_tab_bar(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("AISLE_SCREENSHOT_DIR") or tmp_path / "shots")
    env = app_env(tmp_path, SDL_VIDEODRIVER="offscreen", KIVY_NO_FILELOG="1", KIVY_LOG_MODE="PYTHON")
    login, password = demo_server.manager
    args = [demo_server.url, login, password, str(demo_server.featured_member_id), str(shots)]
    done = subprocess.run(
        [sys.executable, "-m", "tests.mobile_app.desktop_layout", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["window"] == list(WINDOW)
    assert seen["shown"] and all(seen["shown"].values()), seen["shown"]
