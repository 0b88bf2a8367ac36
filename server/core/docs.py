"""The API's own documentation, served by the server itself: it works in a store without internet.

FastAPI's default /docs page loads Swagger UI's script and style sheet from a CDN, so it was blank offline.
The page is built here from the copy vendored in `server/static/vendor/` (installed with the package),
and the OpenAPI document is answered at /openapi.json as well as under the API prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
STATIC_URL: Final = "/static"
SWAGGER_UI: Final = "vendor/swagger-ui-dist-5.36.0"

# The OpenAPI document describes HTTP operations only; the live floor's socket is described here, in the
# document's description, so it shows at the top of /docs.
FLOOR_SOCKET: Final = """\
Sign in with `POST /api/v1/auth/token` and send the token as `Authorization: Bearer <JWT>` (the
**Authorize** button does this for you).

## The live floor: `WS /api/v1/ws/floor[?since=N][&store_id=S]`

A WebSocket the phones keep open. JSON text frames, each with a `"type"`.

**Signing in** (never with the token in the URL, which access logs keep; `?token=` is refused with 4401):
- offer the subprotocols `["aisle.v1", "bearer.<JWT>"]` in the handshake (`Sec-WebSocket-Protocol`;
  the server answers `aisle.v1`), or
- connect offering `aisle.v1` and send `{"type": "auth", "token": "<JWT>"}` as the first frame, or
- send `Authorization: Bearer <JWT>` if your client can set headers.

**Replay:** every event carries a per-staff `seq` increasing by one. Reconnect with `?since=<last seq>`
to receive everything missed (kept 24 hours) before live events, with nothing lost or duplicated.

**Frames the server sends:**
- `hello` `{staff_id, store_id, last_seq, heartbeat_seconds}` right after sign-in;
- `event` `{seq, event_id, event_type, store_id, occurred_at, payload}`, e.g. `member.arrived` with the
  member's profile summary, recommendations and talking points;
- `ready` `{seq, complete}` when the replay is over (`complete` false: some missed events were pruned);
- `ping` / `pong` `{at}` heartbeats;
- `chat` `{ref, turn}` answering a client's chat frame (the same turn as `POST /members/{id}/chat`);
- `error` `{detail}` (or `{ref, status, detail}` for a failed chat): the connection stays open.

**Frames a client sends:** `auth` (above); `ping` / `pong`;
`{"type": "chat", "ref": 1, "member_id": 42, "message": "cheaper", "session_id": "…"}`;
`{"type": "leave"}` when the clerk signs out (the server closes with 1000 and takes them off the floor at
once; a socket that merely drops stays on the floor for a grace period and its events wait for the replay).

**Close codes:** 4400 bad query; 4401 not signed in, bad, expired or revoked token (sign in again);
4403 store outside the caller's scope; 4404 unknown store; 1011 the live floor is not running.
"""


def serve_docs(app: FastAPI, openapi_url: str) -> None:
    """Add /docs (Swagger UI from local files), /openapi.json and the /static mount to `app`.

    The app must be built with `docs_url=None` and `redoc_url=None`; these routes sit outside the API
    routers, so the access policy does not apply to them and they need no sign-in.
    """
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    parameters: dict[str, Any] = {
        # Swagger UI would otherwise ask validator.swagger.io about the document: nothing leaves the store.
        "validatorUrl": None,
        **(app.swagger_ui_parameters or {}),
    }

    @app.get("/openapi.json", include_in_schema=False)
    async def _openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def _docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_URL}/{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/{SWAGGER_UI}/favicon-32x32.png",
            swagger_ui_parameters=parameters,
        )
