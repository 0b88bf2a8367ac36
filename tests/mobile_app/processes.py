"""A child process's output read line by line as it comes, for tests that wait for a line from it."""

from __future__ import annotations

import queue
import subprocess
import threading
from typing import IO


def hand_over(stream: IO[str], lines: queue.Queue[str]) -> None:
    """Put each line of `stream` on `lines`, then "" when it ends."""
    for line in stream:
        lines.put(line)
    lines.put("")


def lines_until(proc: subprocess.Popen[str], marker: str, guard: float, name: str) -> list[str]:
    """What `proc` writes on its stderr up to the first line holding MARKER, that line included.

    A thread hands over whole lines: select() on the pipe would miss lines already in readline's buffer
    (two lines in one read) and wait out the guard. AssertionError, with the output so far, when the
    process ends first or is silent for GUARD seconds (only a hang guard: a loaded machine is slow).
    """
    stream = proc.stderr
    assert stream is not None, "start the process with stderr=subprocess.PIPE, text=True"
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=hand_over, args=(stream, lines), daemon=True).start()
    seen: list[str] = []
    while not seen or marker not in seen[-1]:
        try:
            line = lines.get(timeout=guard)
        except queue.Empty:
            raise AssertionError(
                f"no {marker!r} from {name}: silent for {guard:g} s:\n{''.join(seen)}"
            ) from None
        assert line, f"{name} ended (exit {proc.wait()}) before {marker!r}:\n{''.join(seen)}"
        seen.append(line)
    return seen
