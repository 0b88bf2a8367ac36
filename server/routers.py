"""Every domain router, mounted under /api/v1. A new domain adds one line here."""

from __future__ import annotations

from fastapi import FastAPI

from server.health.router import router as health_router


def include_routers(app: FastAPI, prefix: str) -> None:
    app.include_router(health_router, prefix=prefix)
