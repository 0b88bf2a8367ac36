"""Running uvicorn so that a stop asked for by a signal ends the process with exit status 0.

uvicorn stops gracefully on SIGTERM or SIGINT (open requests finished, the app's shutdown run), then
raises the same signal again with the handler that was there before it started: the default one, so an
`aisle serve` stopped by systemd, Docker or Kubernetes reported "killed by SIGTERM" (exit 143) after a
clean stop, and a supervisor counted it as a crash. Here that handler only asks the server to exit.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve_until_stopped(server: uvicorn.Server) -> None:
    """`server.run()`, returning normally once SIGTERM or SIGINT has stopped it (exit status 0)."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # Before uvicorn takes the signals over (and after it gives them back) the request is the same.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
