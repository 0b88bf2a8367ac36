"""lines_until: the line a test waits for is found even when it arrives in one read with the line before."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.mobile_app.processes import lines_until

# Only a hang guard: the child answers at once or not at all.
GUARD = 300.0


def child(script: str) -> subprocess.Popen[str]:
    """A Python child running SCRIPT, its stderr piped as text, its stdin held open."""
    return subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def test_two_lines_in_one_write_are_both_seen() -> None:
    # The child then waits on its stdin: a reader that missed the buffered second line would wait out GUARD.
    proc = child(
        "import sys; sys.stderr.write('warming up\\nmain loop\\n'); sys.stderr.flush(); sys.stdin.read()"
    )
    try:
        assert lines_until(proc, "main loop", GUARD, "the child") == ["warming up\n", "main loop\n"]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=GUARD)


def test_a_process_that_ends_first_is_named_with_its_output() -> None:
    proc = child("import sys; sys.stderr.write('no display\\n'); sys.exit(3)")
    with pytest.raises(AssertionError, match=r"the child ended \(exit 3\) before 'main loop':\nno display"):
        lines_until(proc, "main loop", GUARD, "the child")
