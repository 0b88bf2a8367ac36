"""The benchmark's lean floor phone (bench/phone_socket.py) against a real WebSocket server and bad ones."""

from __future__ import annotations

import asyncio
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import phone_socket  # noqa: E402
from phone_socket import PhoneSocket, ProtocolError, accept_key, frame  # noqa: E402


def unmask(data: bytes) -> tuple[int, bytes]:
    """(opcode, payload) of one masked client frame."""
    n, at = data[1] & 0x7F, 2
    if n == 126:
        n, at = struct.unpack_from("!H", data, 2)[0], 4
    elif n == 127:
        n, at = struct.unpack_from("!Q", data, 2)[0], 10
    assert data[1] & 0x80, "client frames are masked"
    mask, body = data[at : at + 4], data[at + 4 :]
    assert len(body) == n
    return data[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(body))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_a_client_frame_is_masked_and_sized_as_rfc_6455_says(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    data = frame(0x1, payload, mask=b"\x01\x02\x03\x04")
    assert data[0] == 0x81
    assert unmask(data) == (0x1, payload)


def test_the_accept_key_is_the_rfc_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


HANG_GUARD = 120.0  # only turns a hang into a failure


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    async def guarded() -> Any:
        try:
            return await asyncio.wait_for(main(), HANG_GUARD)
        except TimeoutError:
            raise AssertionError(f"the exchange with the test server hung for {HANG_GUARD:g} s") from None

    return asyncio.run(guarded())


def test_messages_pings_and_the_closing_handshake_with_a_real_server() -> None:
    pinged: list[float] = []

    async def handler(ws: ServerConnection) -> None:
        await ws.send("hello 你好")
        await ws.send(["frag", "mented ", "消息"])  # one message in three frames
        await ws.send(b"\x00\xff" * 70_000)
        pinged.append(await (await ws.ping(b"are you there")))  # answered by the phone's pong
        async for message in ws:
            assert isinstance(message, str)
            await ws.send(f"echo:{message}")

    async def main() -> tuple[list[Any], int | None, ProtocolError | None]:
        got: list[Any] = []
        async with serve(handler, "127.0.0.1", 0, max_size=2**22) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            phone = await phone_socket.connect(
                f"ws://127.0.0.1:{port}/floor?since=0", lambda m, _at: got.append(m)
            )
            phone.send("héllo")
            while len(got) < 4:
                await asyncio.sleep(0.01)
            await phone.close()
            return got, phone.close_code, phone.error

    got, code, error = run(main)
    assert got == ["hello 你好", "fragmented 消息", b"\x00\xff" * 70_000, "echo:héllo"]
    assert len(pinged) == 1
    assert code == 1000 and error is None


def test_the_phone_signs_in_through_the_subprotocol_header_not_the_url() -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        seen.append((ws.request.path, ws.request.headers.get("Sec-WebSocket-Protocol"), ws.subprotocol))
        await ws.close()

    async def main() -> str | None:
        async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("aisle.v1")]) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            phone = await phone_socket.connect(
                f"ws://127.0.0.1:{port}/api/v1/ws/floor", lambda m, _at: None, ["aisle.v1", "bearer.tok"]
            )
            await phone.closed
            return phone.subprotocol

    assert run(main) == "aisle.v1"
    assert seen == [("/api/v1/ws/floor", "aisle.v1, bearer.tok", "aisle.v1")]


def test_the_server_closing_with_a_code_is_seen_by_the_phone() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.close(4001, "token expired")

    async def main() -> int | None:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            phone = await phone_socket.connect(f"ws://127.0.0.1:{port}/", lambda m, _at: None)
            return await phone.closed

    assert run(main) == 4001


async def _raw_server(answer: Callable[[bytes], bytes]) -> tuple[asyncio.Server, int]:
    """A TCP server that reads the upgrade request and writes `answer(request)`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(request))
        await writer.drain()
        await reader.read()  # until the phone hangs up: it must read the answer on an open line
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _key(request: bytes) -> str:
    line = next(x for x in request.decode().split("\r\n") if x.lower().startswith("sec-websocket-key:"))
    return line.split(":", 1)[1].strip()


def _upgrade(key: str, extra: str = "") -> bytes:
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {key}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            lambda request: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            "upgrade refused: HTTP/1.1 403",
        ),
        (lambda request: _upgrade("bm90IHRoZSByaWdodCBrZXk="), "wrong Sec-WebSocket-Accept"),
        (
            lambda request: _upgrade(accept_key(_key(request)), "Sec-WebSocket-Protocol: bearer.tok\r\n"),
            "chose subprotocol 'bearer.tok', which was not offered",
        ),
    ],
)
def test_a_refused_or_forged_upgrade_fails_the_connect(
    answer: Callable[[bytes], bytes], message: str
) -> None:
    async def main() -> None:
        server, port = await _raw_server(answer)
        async with server:
            await phone_socket.connect(f"ws://127.0.0.1:{port}/", lambda m, _at: None)

    with pytest.raises(ProtocolError, match=message):
        run(main)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (b"\x81\x81abcdX", "a masked frame from the server"),
        (b"\xc1\x01x", "reserved bits"),
        (b"\x80\x01x", "a continuation frame with no message"),
        (b"\x01\x01a\x81\x01b", "a new message before the last one ended"),
        (b"\x83\x00", "unknown data opcode"),
        (b"\x09\x00", "a fragmented or oversized control frame"),
    ],
)
def test_a_broken_frame_ends_the_connection_with_the_reason(frames: bytes, message: str) -> None:
    got: list[Any] = []

    async def main() -> PhoneSocket:
        server, port = await _raw_server(lambda request: _upgrade(accept_key(_key(request))) + frames)
        async with server:
            phone = await phone_socket.connect(f"ws://127.0.0.1:{port}/", lambda m, _at: got.append(m))
            await phone.closed
            return phone

    phone = run(main)
    assert phone.error is not None and message in str(phone.error)
    assert got == []


def test_a_url_that_is_not_ws_is_refused() -> None:
    async def main() -> None:
        await phone_socket.connect("http://127.0.0.1:1/", lambda m, _at: None)

    with pytest.raises(ValueError, match="not a ws:// URL"):
        run(main)
