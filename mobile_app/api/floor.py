"""FloorListener: the live floor socket on a daemon thread, reconnecting until told to stop.

The server numbers each staff member's events 1, 2, 3... and replays what a client missed when it
reconnects with `?since=<last seq>`. The token never goes in the URL (URLs land in access logs on the
way) nor in a header: it is the first frame, {"type": "auth", "token": …}. The listener remembers the
last seq it passed on, reconnects with it after any drop (capped exponential backoff), and passes each
event on exactly once, in order, even if the server sends one twice. A close with 4401/4403 (token
refused) or 4400/4404 (bad request) ends it: trying again would be refused again. See
server/realtime/events.py for the frames.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from mobile_app.api.client import API, normalise_base_url

logger = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]
StatusHandler = Callable[[str], None]
# Close codes after which reconnecting is pointless, and the status they end in.
FINAL_CODES = {4401: "unauthorized", 4403: "unauthorized", 4400: "refused", 4404: "refused"}
# Without a frame for this many heartbeats the line is taken as dead (a phone that lost its network
# often sees no close at all).
SILENT_HEARTBEATS = 2.5
# The floor's protocol, offered in the handshake (the token follows as the first frame).
SUBPROTOCOL = Subprotocol("aisle.v1")


def floor_url(base_url: str, since: int | None) -> str:
    """ws(s)://host/api/v1/ws/floor[?since=N] for an http(s) server root."""
    root = normalise_base_url(base_url)
    scheme, _, rest = root.partition("://")
    ws_scheme = "wss" if scheme == "https" else "ws"
    query = f"?{urlencode({'since': since})}" if since is not None else ""
    return f"{ws_scheme}://{rest}{API}/ws/floor{query}"


class FloorListener:
    """Listens to the floor for one signed-in staff member; `on_event(frame)` once per event, in seq order.

    on_status gets "connecting", "online" (replay done, live), "offline" (between attempts or stopped),
    "unauthorized" (4401/4403: sign in again) or "refused" (4400/4404). Event frames passed on carry an
    extra "replayed" flag: true for those sent before the server's `ready` frame (missed while away).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        since: int | None,
        on_event: EventHandler,
        on_status: StatusHandler,
        *,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        open_timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.last_seq = since or 0
        self._known = since is not None  # False: connect without since= (live events only)
        self.on_event = on_event
        self.on_status = on_status
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.open_timeout = open_timeout
        self.status = "offline"
        self.close_code: int | None = None
        self.close_reason = ""
        self._stop = threading.Event()
        self._ws: ClientConnection | None = None
        self._ws_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="aisle-floor", daemon=True)
        self._attempt = 0

    def start(self) -> FloorListener:
        """Start listening on the background thread; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0, *, leave: bool = False) -> None:
        """Stop listening, close the socket and wait for the thread to end.

        `leave` (signing out) tells the server first, so it stops keeping the floor's events for this
        clerk; a phone that just loses its connection keeps them waiting for its replay.
        """
        self._stop.set()
        if leave:
            with self._ws_lock:
                ws = self._ws
            if ws is not None:
                try:
                    ws.send(json.dumps({"type": "leave"}))
                except Exception as exc:  # already gone: the server's grace period runs out by itself
                    logger.info("could not say goodbye to the floor: %s", exc)
        self.drop()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the thread is still listening (or waiting to reconnect)."""
        return self._thread.is_alive()

    def drop(self) -> None:
        """Close the current socket (the listener reconnects unless stopped): the network changed."""
        with self._ws_lock:
            ws = self._ws
        if ws is not None:
            ws.close()

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            try:
                self.on_status(status)
            except Exception:  # a broken callback must not end the listener
                logger.exception("floor: on_status(%r) failed", status)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._set_status("connecting")
            final = self._connect_once()
            if final is not None:
                self._set_status(final)
                return
            if self._stop.is_set():
                break
            self._set_status("offline")
            delay = min(self.max_backoff, self.initial_backoff * 2**self._attempt)
            self._attempt += 1
            # Jitter, so phones that lost the same Wi-Fi do not all come back in the same instant.
            self._stop.wait(delay * random.uniform(0.8, 1.0))
        self._set_status("offline")

    def _connect_once(self) -> str | None:
        """One connection from handshake to close; the final status when reconnecting is pointless."""
        url = floor_url(self.base_url, self.last_seq if self._known else None)
        try:
            with connect(
                url, subprotocols=[SUBPROTOCOL], open_timeout=self.open_timeout, close_timeout=1, proxy=None
            ) as ws:
                with self._ws_lock:
                    self._ws = ws
                if self._stop.is_set():
                    return None
                ws.send(json.dumps({"type": "auth", "token": self.token}))
                self._listen(ws)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            self.close_code, self.close_reason = code, exc.rcvd.reason if exc.rcvd is not None else ""
            if code in FINAL_CODES:
                logger.warning("floor: closed %s (%s)", code, self.close_reason)
                return FINAL_CODES[code]
        except (OSError, ValueError, InvalidHandshake, InvalidURI) as exc:  # TimeoutError is an OSError
            logger.info("floor: cannot connect to %s: %s", self.base_url, exc)
        finally:
            with self._ws_lock:
                self._ws = None
        return None

    def _listen(self, ws: ClientConnection) -> None:
        """Read frames until the socket closes (raises ConnectionClosed) or goes silent (TimeoutError)."""
        silence = 60.0
        replaying = True
        while not self._stop.is_set():
            frame = json.loads(ws.recv(timeout=silence))
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind == "event":
                self._deliver(frame, replaying)
            elif kind == "hello":
                silence = max(5.0, float(frame.get("heartbeat_seconds") or 25.0) * SILENT_HEARTBEATS)
            elif kind == "ready":
                # The server's count is the truth (a client ahead of it, after a server reset, comes back).
                self.last_seq, self._known, replaying = int(frame.get("seq") or 0), True, False
                self._attempt = 0
                self._set_status("online")
            elif kind == "ping":
                ws.send(json.dumps({"type": "pong"}))
            elif kind == "error":
                logger.warning("floor: server says %s", frame.get("detail"))

    def _deliver(self, frame: dict[str, Any], replaying: bool) -> None:
        seq = int(frame.get("seq") or 0)
        if self._known and seq <= self.last_seq:
            return  # already passed on
        self.last_seq, self._known = seq, True
        try:
            self.on_event({**frame, "replayed": replaying})
        except Exception:  # a broken callback must not end the listener
            logger.exception("floor: on_event failed for seq %s", seq)
