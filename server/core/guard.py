"""An ASGI guard in front of every HTTP endpoint: what no endpoint should ever have to read is refused.

Before it, an anonymous 100 MiB POST was read whole before its 401, NaN in a body reached the database,
a body nested a few thousand levels deep overflowed the JSON parser's stack (500) and a NUL in a search
matched every member. The guard reads the body first (at most `max_body_bytes`, so buffering it is
cheap), then hands it on unchanged; WebSockets pass straight through (the floor checks its own frames).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing the API takes nests deeper (a tag rule nests all/any/not a few levels); the parser's recursion
# limit is near 1,000, so anything past this is refused before it gets there.
MAX_JSON_DEPTH = 64
# C0 control characters and DEL: no search term, code or name a clerk types contains them.
_CONTROL = frozenset(chr(c) for c in range(0x20)) | {"\x7f"}
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


class _NonFinite(ValueError):
    """A NaN or Infinity literal: Python's json reads them, no JSON number is one."""


class RequestGuard:
    """Refuse oversized bodies (413), non-finite or too deep JSON and control characters (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then run the app with the body already read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _url_problem(scope)
        if problem is not None:
            await _answer(send, 422, {"detail": [problem]})
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            # Refused on the header alone: not one byte of an oversized body is read.
            await _answer(send, 413, {"detail": self._too_large()})
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before it finished sending
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:  # streamed without a Content-Length
                await _answer(send, 413, {"detail": self._too_large()})
                return
            if not message.get("more_body", False):
                break
        problem = _body_problem(scope, bytes(body))
        if problem is not None:
            await _answer(send, 422, {"detail": [problem]})
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1").strip())
    return None


def _error(loc: list[str | int], msg: str, kind: str, given: Any = None) -> dict[str, Any]:
    # The shape of FastAPI's own validation errors, so clients and the OpenAPI document see one kind.
    return {"type": kind, "loc": loc, "msg": msg, "input": given}


def _url_problem(scope: Scope) -> dict[str, Any] | None:
    """A control character in the path or in a query parameter, as a validation error."""
    if any(ch in _CONTROL for ch in scope["path"]):
        return _error(["path"], "the path must not contain control characters", "string_control_characters")
    raw = scope.get("query_string", b"").decode("latin-1")
    if "%" not in raw and not any(ch in _CONTROL for ch in raw):
        return None
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if any(ch in _CONTROL for ch in name + value):
            return _error(
                ["query", unquote(name)],
                "must not contain control characters (NUL, tab, line breaks ...)",
                "string_control_characters",
                value,
            )
    return None


def _body_problem(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """Non-finite numbers, too deep nesting or a NUL in a JSON or form body, as a validation error."""
    if not body:
        return None
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        if b"%00" in body or b"\x00" in body:
            return _error(["body"], "form fields must not contain the NUL character", "string_nul")
        return None
    # FastAPI reads a body without a content type as JSON too.
    if kind and kind != "application/json" and not kind.endswith("+json"):
        return None
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        return _error(["body"], f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "json_too_deep")
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except _NonFinite as exc:
        return _error(["body"], f"{exc} is not a JSON number: send a finite number", "finite_number")
    except (ValueError, RecursionError):
        return None  # malformed JSON: the endpoint's own 422 says where
    if b"\\u0000" in body and any("\x00" in text for text in _strings(data)):
        return _error(["body"], "text must not contain the NUL character (\\u0000)", "string_nul")
    return None


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)


def json_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest, ignoring those inside strings (no recursion)."""
    deepest = depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _strings(data: Any) -> Iterator[str]:
    """Every key and string value in parsed JSON (iterative: the depth is bounded but need not be small)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
