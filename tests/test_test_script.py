"""`bash scripts/test.sh` stops the PostgreSQL and Redis it started, whatever pytest's exit, and keeps
pytest's exit code; servers it was given and that answer it uses and leaves running."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from glob import glob
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
NO_SUCH_TESTS = "tests/no_such_file.py"  # pytest exits 4: a failure that costs no test run or import


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _test_sh(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/test.sh", "-p", "no:cacheprovider", "-q", "--noconftest", NO_SUCH_TESTS],
        cwd=ROOT,
        env=env | {"AISLE_TEST_WORKERS": "0"},  # in one process: workers would make the exit code 5, not 4
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def own_services() -> Iterator[dict[str, str]]:
    """An environment in which scripts/test.sh starts servers of its own, on free ports and a fresh folder."""
    if not (glob("/usr/lib/postgresql/*/bin/initdb") and shutil.which("redis-server")):
        pytest.skip("PostgreSQL and Redis are not installed here (.ci/services.sh installs them on CI)")
    # Straight under /tmp: the postgres user that runs the server as root must reach the folder.
    folder = tempfile.mkdtemp(prefix="aisle-test-sh-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_TEST_")}
    env |= {"AISLE_SERVICES_DIR": folder, "AISLE_PG_PORT": str(_free_port())}
    env |= {"AISLE_REDIS_PORT": str(_free_port())}
    yield env
    subprocess.run(["bash", ".ci/services.sh", "stop"], cwd=ROOT, env=env, check=False)
    shutil.rmtree(folder, ignore_errors=True)


def test_servers_it_started_are_stopped_after_a_failed_run(own_services: dict[str, str]) -> None:
    done = _test_sh(own_services)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's own exit code
    assert "stopped PostgreSQL" in done.stderr and "stopped Redis" in done.stderr, done.stderr
    for port in (own_services["AISLE_PG_PORT"], own_services["AISLE_REDIS_PORT"]):
        assert not _listening(int(port)), port
    leftovers = subprocess.run(["pgrep", "-f", own_services["AISLE_SERVICES_DIR"]], capture_output=True)
    assert leftovers.returncode == 1, leftovers.stdout


def test_servers_it_was_given_are_used_and_left_running() -> None:
    given = {k: os.environ.get(k, "") for k in ("AISLE_TEST_POSTGRES_URL", "AISLE_TEST_REDIS_URL")}
    if not all(given.values()):
        pytest.skip("needs AISLE_TEST_POSTGRES_URL and AISLE_TEST_REDIS_URL")
    # A folder and ports where nothing runs: had the script started servers, they would be here.
    env = os.environ | {"AISLE_SERVICES_DIR": "/nonexistent/aisle", "AISLE_PG_PORT": str(_free_port())}
    done = _test_sh(env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "stopped" not in done.stderr and "starting" not in done.stderr, done.stderr
    assert _listening(make_url(given["AISLE_TEST_POSTGRES_URL"]).port or 5432)
    assert _listening(urlsplit(given["AISLE_TEST_REDIS_URL"]).port or 6379)
