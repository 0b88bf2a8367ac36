"""`aisle serve` stops cleanly on SIGTERM: exit status 0, the app's shutdown run, no abort or traceback.

Before: uvicorn re-raised the SIGTERM after its graceful stop (exit 143, "killed"), and a server stopped
while the recommender was still being built aborted at exit ("terminate called without an active
exception", exit 134): the build's thread was still inside torch when the interpreter finished.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.recommendations.engine import ENCODE_CHUNK, BuildStopped, RecommenderHolder
from tests.fixtures.factories import make_product
from tests.server.recommendations.conftest import HashEncoder

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 300.0  # only turns a hang into a failure; nothing here waits on a clock otherwise


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int, warm_up: bool) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "AISLE_DATA_DIR": str(data_dir),
        "AISLE_DATABASE_URL": "",  # SQLite in the data folder, whatever the test run points at
        "AISLE_SECRET_KEY": "shutdown-test-secret-0123456789",
        "AISLE_RECOMMENDER_WARM_UP": "true" if warm_up else "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    command = [sys.executable, "-c", "from server.cli import main; main()", "serve", "--port", str(port)]
    return subprocess.Popen(
        command, cwd=data_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_until_healthy(server: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited early:\n{server.communicate()[0]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the server did not answer /api/v1/health:\n{server.communicate()[0]}")


@pytest.mark.parametrize("warm_up", [True, False], ids=["recommender-warming-up", "no-warm-up"])
def test_the_server_stops_on_sigterm_with_exit_status_0(tmp_path: Path, warm_up: bool) -> None:
    port = free_port()
    server = start_server(tmp_path, port, warm_up)
    try:
        wait_until_healthy(server, port)
        # With the warm-up on, the recommender is being built now (loading torch and the model).
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=HANG_GUARD)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, output
    assert "terminate called" not in output
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
    assert "Finished server process" in output


class StoppingEncoder(HashEncoder):
    """Asks its holder to stop during its first call, as a SIGTERM arriving mid-build does."""

    def __init__(self) -> None:
        self.calls = 0
        self.holder: RecommenderHolder | None = None

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        assert self.holder is not None
        self.holder.stop()
        return super().encode(texts, progress)


def test_a_build_gives_up_at_the_next_encoder_call_once_stopped(
    session: Session, context: AppContext
) -> None:
    for n in range(ENCODE_CHUNK + 10):  # two encoder calls' worth of products
        make_product(session, name=f"Product {n}")
    session.commit()
    encoder = StoppingEncoder()
    holder = RecommenderHolder(context.sessions, lambda: encoder)
    encoder.holder = holder
    with pytest.raises(BuildStopped):
        holder.get()
    assert encoder.calls == 1
    assert holder.current is None
