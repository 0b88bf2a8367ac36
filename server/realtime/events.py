"""The live floor's wire protocol: the event envelope, the control frames and the close codes.

Frames the server sends, all JSON objects with a "type":
- hello  {staff_id, store_id, last_seq, heartbeat_seconds}: right after sign-in.
- event  {seq, event_id, event_type, store_id, occurred_at, payload}: one event, `seq` increasing by
  exactly one per staff member; remember the last one and reconnect with `?since=<seq>`.
- ready  {seq, complete}: the replay is over (`complete` false: some missed events were pruned).
- ping   {at}: every `heartbeat_seconds`; a reply {"type": "pong"} is welcome, not required.
- pong   {at}: the answer to a client's {"type": "ping"}.
- error  {detail}: a message the server did not understand (the connection stays open).

Frames a client sends: {"type": "auth", "token": …} first, unless the handshake brought the token
(see realtime.access), then {"type": "ping"}, {"type": "pong"}, and {"type": "leave"} when the clerk signs
out (the server closes with 1000 and stops logging the floor's events for them; a socket that just
drops keeps them on the floor for the grace period, so its events wait for the replay).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Close codes a client can act on. 4401/4403 mirror HTTP 401/403 so a phone knows to sign in again.
BAD_REQUEST = 4400
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
STORE_NOT_FOUND = 4404
NORMAL_CLOSURE = 1000
# Standard "try again later": the client fell behind; it reconnects with ?since= and loses nothing.
TRY_AGAIN_LATER = 1013

EVENT_TYPE_MAX = 40
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


def check_event_type(event_type: str) -> str:
    """The event type if it is a dotted lower-case name such as 'member.arrived'; ValueError otherwise."""
    if len(event_type) > EVENT_TYPE_MAX or not _EVENT_TYPE.fullmatch(event_type):
        raise ValueError(
            f"event type {event_type!r} must be a dotted lower-case name of at most "
            f"{EVENT_TYPE_MAX} characters, e.g. 'member.arrived'"
        )
    return event_type


class SharedText:
    """The part of an event's frame that every recipient's copy shares, JSON-encoded once.

    An arrival goes to a whole floor at once: encoding its payload once instead of once per socket
    keeps the fan-out of a 5 kB event to 200 phones from costing 200 encodings.
    """

    __slots__ = ("tail",)

    def __init__(self) -> None:
        self.tail: str | None = None


@dataclass(frozen=True)
class Envelope:
    """One staff member's copy of a floor event, numbered `seq` in that staff member's stream."""

    staff_id: int
    seq: int
    event_id: str
    event_type: str
    store_id: int | None
    occurred_at: datetime
    payload: dict[str, Any]
    # Copies of one event share this, so the first copy sent encodes the body for all of them.
    shared: SharedText = field(default_factory=SharedText, compare=False, repr=False)

    def frame(self) -> dict[str, Any]:
        """The JSON object sent to the staff member's phone."""
        return {
            "type": "event",
            "seq": self.seq,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "store_id": self.store_id,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": self.payload,
        }

    def text(self) -> str:
        """`frame()` as JSON text, the shared body encoded only once per event."""
        tail = self.shared.tail
        if tail is None:
            body = {k: v for k, v in self.frame().items() if k not in ("type", "seq")}
            tail = self.shared.tail = json.dumps(body, separators=(",", ":"), ensure_ascii=False)[1:]
        return f'{{"type":"event","seq":{self.seq},{tail}'


def encode_batch(origin: str, envelopes: list[Envelope]) -> str:
    """One broker message for copies of a single event: the event once, then (staff_id, seq) pairs."""
    first = envelopes[0]
    if any(e.event_id != first.event_id for e in envelopes):
        raise ValueError("a broker message carries the copies of one event only")
    return json.dumps(
        {
            "origin": origin,
            "event": {
                "event_id": first.event_id,
                "event_type": first.event_type,
                "store_id": first.store_id,
                "occurred_at": first.occurred_at.isoformat(),
                "payload": first.payload,
            },
            "to": [[e.staff_id, e.seq] for e in envelopes],
        },
        separators=(",", ":"),
    )


def decode_batch(raw: str | bytes) -> tuple[str, list[Envelope]]:
    """The origin and the envelopes of a broker message; ValueError when it is not one."""
    try:
        message = json.loads(raw)
        event = message["event"]
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        shared = SharedText()
        envelopes = [
            Envelope(
                staff_id=int(staff_id),
                seq=int(seq),
                event_id=str(event["event_id"]),
                event_type=str(event["event_type"]),
                store_id=event["store_id"],
                occurred_at=occurred_at,
                payload=event["payload"],
                shared=shared,
            )
            for staff_id, seq in message["to"]
        ]
        return str(message["origin"]), envelopes
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a floor broker message: {exc}") from exc


def hello(staff_id: int, store_id: int | None, last_seq: int, heartbeat_seconds: float) -> dict[str, Any]:
    """The first frame: who the server thinks you are, which floor you are on, your newest seq."""
    return {
        "type": "hello",
        "staff_id": staff_id,
        "store_id": store_id,
        "last_seq": last_seq,
        "heartbeat_seconds": heartbeat_seconds,
    }


def ready(seq: int, complete: bool) -> dict[str, Any]:
    """The frame that ends the replay: live events follow."""
    return {"type": "ready", "seq": seq, "complete": complete}


def ping(at: datetime) -> dict[str, Any]:
    """The server's heartbeat."""
    return {"type": "ping", "at": at.isoformat()}


def pong(at: datetime) -> dict[str, Any]:
    """The answer to a client's ping."""
    return {"type": "pong", "at": at.isoformat()}


def error(detail: str) -> dict[str, Any]:
    """A frame naming what the server could not understand."""
    return {"type": "error", "detail": detail}
