"""GET /api/v1/health: answers without a token, says whether the database is reachable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.core.deps import ContextDep
from server.db.migrate import current_revision

router = APIRouter(tags=["health"])


@router.get("/health")
def health(context: ContextDep) -> JSONResponse:
    """Liveness and database status; 503 when the database does not answer."""
    body: dict[str, Any] = {"status": "ok", "version": "0.1.0", "database": context.engine.dialect.name}
    try:
        with context.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        body["schema_revision"] = current_revision(context.engine)
    except SQLAlchemyError as exc:
        body.update(status="degraded", error=str(exc.__cause__ or exc).splitlines()[0])
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
