"""One signed-in socket on the live floor: replay what the client missed, then live events, in order.

The seam between replay and live is closed by ordering: subscribe first, replay from the log, then
pass on only live events numbered above the last one sent. Numbers are gapless per staff member and
commit in order, so a live event that skips ahead means the ones between are already in the log: they
are read from there first. Nothing is lost, nothing is sent twice, and the client sees seq 1, 2, 3...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.core.errors import AisleError
from server.core.guard import MAX_JSON_DEPTH, json_depth
from server.db.base import utcnow
from server.realtime import events, store
from server.realtime.access import Admission, Refused
from server.realtime.broker import Signal, Subscription
from server.realtime.events import Envelope
from server.realtime.service import Floor, FrameCall, FrameHandler

logger = logging.getLogger(__name__)
# What a vanished client raises on send, depending on the server implementation.
_GONE = (WebSocketDisconnect, RuntimeError, OSError)
# Each heartbeat comes after the configured interval give or take this fraction.
HEARTBEAT_JITTER = 0.2
# How long events after a gap wait for the missing ones to come off the broker before the log is read.
GAP_WAIT_SECONDS = 0.05
# The largest client frame read; a chat turn is well under 2 kB.
MAX_FRAME_BYTES = 64 * 1024
# Requests (chat turns) one socket may have in flight; more are answered 429 at once.
MAX_REQUESTS = 4


class FloorConnection:
    """The life of one accepted socket, from hello to close."""

    def __init__(
        self,
        websocket: WebSocket,
        floor: Floor,
        admission: Admission,
        since: int | None,
        recheck: Callable[[], Admission],
    ) -> None:
        self.ws = websocket
        self.floor = floor
        self.admission = admission
        self.since = since
        self.recheck = recheck
        self.sent = 0  # the last seq this client has been sent
        self.conn_id = uuid.uuid4().hex
        self.signed_out = False  # the client said "leave": off the floor at once, no grace period
        self._send_lock = asyncio.Lock()
        self._requests: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Serve the socket until either side closes it."""
        try:
            await self._run()
        finally:
            for task in tuple(self._requests):
                task.cancel()

    async def _run(self) -> None:
        staff_id, store_id = self.admission.staff_id, self.admission.store_id
        sub = self.floor.broker.subscribe(staff_id)
        if store_id is not None:
            await self.floor.presence.join(store_id, staff_id, self.conn_id)
        try:
            await self._serve(sub)
        except _GONE:
            pass  # the client went away mid-send
        except Refused as exc:
            await self._close(exc.code, exc.reason)
        finally:
            self.floor.broker.unsubscribe(sub)
            if store_id is not None:
                await self.floor.presence.leave(store_id, staff_id, self.conn_id, signed_out=self.signed_out)

    async def _serve(self, sub: Subscription) -> None:
        staff_id = self.admission.staff_id
        newest = await self._db(store.last_seq, staff_id)
        heartbeat = self.floor.heartbeat_seconds
        await self._send(events.hello(staff_id, self.admission.store_id, newest, heartbeat))
        if self.since is None:
            self.sent, complete = newest, True
        else:
            self.sent = min(self.since, newest)
            first = await self._catch_up(None)
            # Incomplete: the log no longer holds the first missed event, or the client is ahead of it.
            complete = self.since <= newest and (
                first == self.since + 1 or (first is None and self.since == newest)
            )
        await self._send(events.ready(self.sent, complete))
        tasks = {
            asyncio.create_task(self._read()),
            asyncio.create_task(self._write(sub)),
            asyncio.create_task(self._beat()),
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, *_GONE):
                await task
        for task in done:
            task.result()  # re-raise Refused or a send failure

    async def _write(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        # Events that came ahead of a gap; the missing ones are usually a moment behind on the broker
        # (two arrivals committed by two threads can be handed over in either order), so they wait
        # briefly before the gap is read from the log: 200 sockets reading the log at once is slow.
        ahead: dict[int, Envelope] = {}
        gap_until: float | None = None
        while True:
            if gap_until is not None and loop.time() >= gap_until:
                await self._catch_up(max(ahead))
                ahead.clear()
                gap_until = None
            if not sub.queue.empty():
                item = sub.queue.get_nowait()
            elif gap_until is None:
                # The usual wait: no deadline (a timer per wait per socket was a third of the fan-out).
                item = await sub.queue.get()
            else:
                try:
                    async with asyncio.timeout_at(gap_until):
                        item = await sub.queue.get()
                except TimeoutError:
                    continue
            if item is Signal.OVERFLOW:
                raise Refused(events.TRY_AGAIN_LATER, f"fell behind: reconnect with since={self.sent}")
            if item is Signal.RESYNC:
                await self._catch_up(None)
            elif isinstance(item, Envelope) and item.seq > self.sent:
                ahead[item.seq] = item
            while self.sent + 1 in ahead:
                envelope = ahead.pop(self.sent + 1)
                await self._send_text(envelope.text())
                self.sent = envelope.seq
            for seq in [s for s in ahead if s <= self.sent]:
                del ahead[seq]
            if not ahead:
                gap_until = None
            elif gap_until is None:
                gap_until = loop.time() + GAP_WAIT_SECONDS

    async def _beat(self) -> None:
        # Its own task, so a busy floor cannot starve the heartbeat (and the token re-check).
        while True:
            await asyncio.sleep(self._heartbeat_interval())
            await self._heartbeat()

    def _heartbeat_interval(self) -> float:
        # Jittered: phones that connected together at the start of a shift would otherwise re-check
        # their tokens together every heartbeat, a burst of database work that delays an arrival.
        return self.floor.heartbeat_seconds * random.uniform(1 - HEARTBEAT_JITTER, 1 + HEARTBEAT_JITTER)

    async def _catch_up(self, upto: int | None) -> int | None:
        """Send every logged event after the last one sent (up to `upto`); returns the first seq sent."""
        first: int | None = None
        staff_id = self.admission.staff_id
        while True:
            batch = await self._db(store.events_after, staff_id, self.sent, upto)
            for envelope in batch:
                await self._send_text(envelope.text())
                self.sent = envelope.seq
                first = envelope.seq if first is None else first
            if len(batch) < store.REPLAY_BATCH:
                return first

    async def _heartbeat(self) -> None:
        # A revoked or expired token, or a role taken away, ends the session within one heartbeat.
        try:
            self.admission = await run_in_threadpool(self.recheck)
        except SQLAlchemyError as exc:  # the database is down: keep serving, check again next time
            logger.warning("live floor: cannot re-check staff %s: %s", self.admission.staff_id, exc)
        if self.admission.store_id is not None:
            await self.floor.presence.refresh(self.admission.store_id, self.admission.staff_id, self.conn_id)
        await self._send(events.ping(utcnow()))

    async def _read(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = parse_frame(message.get("text") or message.get("bytes"))
            if isinstance(frame, Unreadable):
                # Answered, and the socket stays: one bad frame must not cost the clerk the floor.
                await self._send(events.error(frame.detail) | {"status": frame.status})
                continue
            kind = frame.get("type")
            kind = kind if isinstance(kind, str) else None
            handler = self.floor.handlers.get(kind) if kind else None
            if handler is not None:
                self._start_request(handler, frame)
            elif kind == "ping":
                await self._send(events.pong(utcnow()))
            elif kind == "leave":
                self.signed_out = True
                await self._close(events.NORMAL_CLOSURE, "signed out")
                return
            elif kind != "pong":
                await self._send(events.error('unknown message; send {"type": "ping"} to check the line'))

    def _start_request(self, handler: FrameHandler, frame: dict[str, Any]) -> None:
        ref = frame.get("ref")
        if len(self._requests) >= MAX_REQUESTS:
            error = events.error(f"at most {MAX_REQUESTS} requests at a time on one socket; wait for a reply")
            task = asyncio.create_task(self._send(error | {"ref": ref, "status": 429}))
        else:
            call = FrameCall(self.ws.app, self.admission.staff_id, self.admission.store_id, frame)
            task = asyncio.create_task(self._answer(handler, call, ref))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def _answer(self, handler: FrameHandler, call: FrameCall, ref: Any) -> None:
        try:
            reply = await run_in_threadpool(handler, call)
        except AisleError as exc:
            reply = events.error(exc.message) | {"status": exc.status_code}
        except ValidationError as exc:
            reply = events.error(f"bad {call.frame.get('type')} request: {_first_problem(exc)}") | {
                "status": 422
            }
        except Exception:
            logger.exception("live floor: a %s request failed", call.frame.get("type"))
            reply = events.error("the server could not answer; try again") | {"status": 500}
        with contextlib.suppress(*_GONE):
            await self._send(reply | {"ref": ref})

    async def _send(self, frame: dict[str, Any]) -> None:
        await self._send_text(json.dumps(frame, separators=(",", ":"), ensure_ascii=False))

    async def _send_text(self, text: str) -> None:
        async with self._send_lock:
            await self.ws.send_text(text)

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(*_GONE):
            async with self._send_lock:
                await self.ws.close(code=code, reason=reason)

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        def work() -> Any:
            with self.floor.context.sessions() as session:
                return fn(session, *args)

        return await run_in_threadpool(work)


@dataclass(frozen=True)
class Unreadable:
    """A client frame the floor will not read, with the error frame's detail and status."""

    detail: str
    status: int


def parse_frame(raw: str | bytes | None) -> dict[str, Any] | Unreadable:
    """A client frame as a JSON object; too large, too deep or not finite frames are Unreadable.

    Anything else that is not a JSON object reads as an empty frame (answered "unknown message").
    """
    if not raw:
        return {}
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_FRAME_BYTES:
        return Unreadable(f"a frame may hold at most {MAX_FRAME_BYTES} bytes", 413)
    # Checked before parsing: a few thousand brackets overflow the parser's stack (RecursionError).
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and json_depth(data) > MAX_JSON_DEPTH:
        return Unreadable(f"a frame may nest at most {MAX_JSON_DEPTH} levels", 422)
    try:
        frame = json.loads(data, parse_constant=_non_finite)
    except _NonFinite as exc:
        return Unreadable(f"{exc} is not a JSON number: send a finite number", 422)
    except (ValueError, RecursionError):
        return {}
    return frame if isinstance(frame, dict) else {}


class _NonFinite(ValueError):
    """NaN or Infinity: Python's json reads them, no JSON number is one."""


def _non_finite(name: str) -> Any:
    raise _NonFinite(name)


def _first_problem(exc: ValidationError) -> str:
    """The first validation problem as "field: message"."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "frame"
    return f"{where}: {first.get('msg', 'invalid')}"
