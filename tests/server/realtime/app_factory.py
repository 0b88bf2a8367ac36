"""The app a multi-process test runs in uvicorn subprocesses: the real app plus one test-only publish route.

`uvicorn --factory tests.server.realtime.app_factory:create_test_app`; settings come from AISLE_* variables.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from server.app import API, create_app
from server.core.deps import SessionDep
from server.realtime.service import FloorDep, publish_to_floor


class PublishBody(BaseModel):
    store_id: int
    event_type: str = "member.arrived"
    payload: dict[str, object]
    also_staff_ids: list[int] = []


def create_test_app() -> FastAPI:
    """The real app, with POST /api/v1/test-only/publish standing in for the arrival endpoint to come."""
    app = create_app()

    @app.post(f"{API}/test-only/publish")
    def publish(body: PublishBody, session: SessionDep, floor: FloorDep) -> list[tuple[int, int]]:
        return publish_to_floor(
            session, floor, body.store_id, body.event_type, body.payload, also_staff_ids=body.also_staff_ids
        )

    return app
