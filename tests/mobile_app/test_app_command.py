"""`aisle app` starts the phone app (here on SDL's offscreen driver) and it reaches its main loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.mobile_app.processes import lines_until

ROOT = Path(__file__).resolve().parents[2]
STARTED = "Start application main loop"
# Only turns a hung start into a failure: Kivy's first start on a loaded machine is slow, not wrong.
HANG_GUARD = 300.0


def test_aisle_app_runs_the_app_until_it_is_closed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "AISLE_"))}
    env |= {
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_HOME": str(tmp_path / "kivy"),
        "AISLE_APP_DATA": str(tmp_path / "phone"),
    }
    command = [sys.executable, "-c", "from server.cli import main; main()", "app"]
    # Its own process group: `aisle app` starts the app as a child, and both must go at the end.
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        seen = lines_until(proc, STARTED, HANG_GUARD, "`aisle app`")
        running = proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=HANG_GUARD)
    last = "".join(seen[-30:])
    assert running, f"`aisle app` exited after starting its main loop; its last output:\n{last}"
    # The app made its data folder: prefs, outbox and saved profiles go there.
    assert (tmp_path / "phone").is_dir()
