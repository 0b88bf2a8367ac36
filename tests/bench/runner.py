"""Run a benchmark script as CI would and read the one JSON line of figures it ends with."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_bench(
    name: str, args: list[str], timeout: float = 600, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """`python bench/NAME.py ARGS`: its figures and its stderr; fails the test if it exits non-zero."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr
