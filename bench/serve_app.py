"""Serve an app factory on loopback the way `aisle serve` does: a SIGTERM ends the process with exit status 0.

Run: python bench/serve_app.py MODULE:FACTORY --port N [--log-level LEVEL] [--no-access-log]
[--ws-max-queue N] [--ws-per-message-deflate true|false]. The options are uvicorn's own, with uvicorn's
defaults, so a bench serves exactly what `python -m uvicorn --factory` served it; only the stop differs:
server.core.serving.serve_until_stopped returns once SIGTERM has stopped the server, where uvicorn's
command raised the signal again and its process ended with -15 after a clean stop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from server.core.serving import serve_until_stopped  # noqa: E402


def main() -> None:
    """Parse the options and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("app", help="MODULE:FACTORY, a function that returns the ASGI app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default=None)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--ws-max-queue", type=int, default=32)
    parser.add_argument("--ws-per-message-deflate", choices=("true", "false"), default="true")
    args = parser.parse_args()
    config = uvicorn.Config(
        args.app,
        factory=True,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        ws_max_queue=args.ws_max_queue,
        ws_per_message_deflate=args.ws_per_message_deflate == "true",
    )
    serve_until_stopped(uvicorn.Server(config))


if __name__ == "__main__":
    main()
