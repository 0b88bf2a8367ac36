"""A floor phone for the benchmarks: a small WebSocket client (RFC 6455) on a plain asyncio Protocol.

Two hundred phones read their frames on two hundred CPUs. The floor benchmark reads all of them in one
process that shares the machine's two cores with the server, and the `websockets` client's work per
frame (its parser, a message assembler, a task woken per message), times 200 sockets, is time no phone
spends, taken from the server's CPU and counted as push latency (figures in docs/performance.md).
This client hands each message, decoded and stamped with the time it was complete, to a plain
callback. It speaks the protocol a phone needs and checks what it relies on: the upgrade
(status 101, the accept key, and a subprotocol among those offered: the floor's phones sign in with
["aisle.v1", "bearer.<token>"], never a token in the URL), unmasked server frames, fragmented
messages, ping (answered with pong) and the closing handshake. Anything else ends the connection
with `ProtocolError`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable, Sequence
from typing import cast
from urllib.parse import urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
NORMAL_CLOSURE = 1000
MAX_MESSAGE = 2**22
OnMessage = Callable[[str | bytes, float], None]


class ProtocolError(Exception):
    """The server broke the WebSocket protocol (or refused the upgrade)."""


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer `key` with."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame; client frames carry a 4-byte mask (random unless given)."""
    mask = os.urandom(4) if mask is None else mask
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 2**16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    body = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big") if n else b""
    return head + mask + body


class PhoneSocket(asyncio.Protocol):
    """One client connection; `on_message(message, received_at)` for every text or binary message.

    `closed` resolves to the server's close code (None without one) when the connection ends; a
    protocol error aborts the connection and is kept in `error`.
    """

    def __init__(
        self, host: str, target: str, on_message: OnMessage, subprotocols: Sequence[str] = ()
    ) -> None:
        loop = asyncio.get_running_loop()
        self.host, self.target, self.on_message = host, target, on_message
        self.subprotocols = tuple(subprotocols)
        self.subprotocol: str | None = None  # the one the server chose
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self._parts: list[bytes] = []
        self._kind = 0
        self._close_sent = False
        self.close_code: int | None = None
        self.error: ProtocolError | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self.transport = cast(asyncio.Transport, transport)
        offer = f"Sec-WebSocket-Protocol: {', '.join(self.subprotocols)}\r\n" if self.subprotocols else ""
        self.transport.write(
            (
                f"GET {self.target} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\nSec-WebSocket-Version: 13\r\n"
                f"{offer}\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            if not self._upgraded and not self._upgrade():
                return
            self._frames()
        except ProtocolError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ProtocolError(f"connection closed before the upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    # sending

    def send(self, message: str | bytes) -> None:
        """One message as a single frame."""
        kind, payload = (TEXT, message.encode()) if isinstance(message, str) else (BINARY, message)
        self._write(frame(kind, payload))

    async def close(self, code: int = NORMAL_CLOSURE) -> None:
        """The closing handshake: send close, wait (briefly) for the server's close and the hang-up."""
        if self.transport is not None and not self.transport.is_closing() and not self._close_sent:
            self._close_sent = True
            self._write(frame(CLOSE, struct.pack("!H", code)))
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), 5)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()

    # reading

    def _upgrade(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > 65536:
                raise ProtocolError("no end to the upgrade response's headers")
            return False
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        status = head[0].split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            raise ProtocolError(f"upgrade refused: {head[0]}")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
        if headers.get("sec-websocket-accept") != accept_key(self.key):
            raise ProtocolError("wrong Sec-WebSocket-Accept in the upgrade response")
        chosen = headers.get("sec-websocket-protocol")
        if chosen is not None and chosen not in self.subprotocols:
            raise ProtocolError(f"the server chose subprotocol {chosen!r}, which was not offered")
        self.subprotocol = chosen
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            if second & 0x80:
                raise ProtocolError("a masked frame from the server")
            if first & 0x70:
                raise ProtocolError("reserved bits set (no extension was negotiated)")
            n, head = second & 0x7F, 2
            if n == 126:
                if len(buffer) < 4:
                    return
                n, head = struct.unpack_from("!H", buffer, 2)[0], 4
            elif n == 127:
                if len(buffer) < 10:
                    return
                n, head = struct.unpack_from("!Q", buffer, 2)[0], 10
            if n > MAX_MESSAGE:
                raise ProtocolError(f"a {n}-byte frame (at most {MAX_MESSAGE})")
            if len(buffer) < head + n:
                return
            payload = bytes(buffer[head : head + n])
            del buffer[: head + n]
            self._frame(first & 0x80 != 0, first & 0x0F, payload)

    def _frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode >= CLOSE:
            if not fin or len(payload) > 125:
                raise ProtocolError("a fragmented or oversized control frame")
            if opcode == PING:
                self._write(frame(PONG, payload))
            elif opcode == CLOSE:
                self.close_code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else None
                if not self._close_sent:
                    self._close_sent = True
                    self._write(frame(CLOSE, payload[:2]))
                assert self.transport is not None
                self.transport.close()
            elif opcode != PONG:
                raise ProtocolError(f"unknown control opcode {opcode:#x}")
            return
        if opcode == CONTINUATION:
            if not self._parts:
                raise ProtocolError("a continuation frame with no message to continue")
        elif opcode in (TEXT, BINARY):
            if self._parts:
                raise ProtocolError("a new message before the last one ended")
            self._kind = opcode
        else:
            raise ProtocolError(f"unknown data opcode {opcode:#x}")
        self._parts.append(payload)
        if fin:
            whole = b"".join(self._parts)
            self._parts = []
            message = whole.decode() if self._kind == TEXT else whole
            self.on_message(message, time.perf_counter())

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, exc: ProtocolError) -> None:
        self.error = exc
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()


async def connect(url: str, on_message: OnMessage, subprotocols: Sequence[str] = ()) -> PhoneSocket:
    """Open `ws://host:port/path?query`, offering `subprotocols`, and complete the upgrade."""
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname is None:
        raise ValueError(f"not a ws:// URL: {url}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc
    loop = asyncio.get_running_loop()
    _, phone = await loop.create_connection(
        lambda: PhoneSocket(host, target or "/", on_message, subprotocols), parts.hostname, parts.port or 80
    )
    await phone.opened
    return phone
