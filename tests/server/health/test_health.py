"""GET /health (liveness) and GET /health/ready (readiness): 503 with reasons until the server is ready.

A recommender whose encoder is held back at a gate stands for the seconds a real one takes to load the
model; the tests wait for conditions, never for a number of seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.app import create_app
from server.auth.policy import POLICY
from server.config import Settings
from server.core.context import AppContext
from server.db import migrate
from server.health.readiness import Jobs, check_recommender, compile_routes, readiness
from server.recommendations.engine import RecommenderHolder
from tests.fixtures.factories import auth
from tests.server.recommendations.conftest import HashEncoder, Shop, build_shop

READY = "/api/v1/health/ready"
LIVE = "/api/v1/health"
WAIT_SECONDS = 60  # a hang guard: every wait below ends as soon as its condition holds


class GatedEncoder(HashEncoder):
    """HashEncoder that does not answer until its gate opens, and counts its calls."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.calls = 0

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        if not self.gate.wait(WAIT_SECONDS):
            raise TimeoutError("the test never opened the encoder's gate")
        return super().encode(texts, progress)


@pytest.fixture
def shop(session: Session, context: AppContext) -> Shop:
    return build_shop(session, context)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    opened = threading.Event()
    yield opened
    opened.set()  # never leave a warm-up thread waiting behind a failed test


def warm_app(context: AppContext, settings: Settings, encoder: Callable[[], HashEncoder]) -> FastAPI:
    """The app with warm-up on and a recommender built from `encoder`."""
    warm = replace(context, settings=settings.model_copy(update={"recommender_warm_up": True}))
    warm.recommender = RecommenderHolder(warm.sessions, encoder)
    return create_app(warm.settings, warm)


def wait_for(client: TestClient, status: int) -> Any:
    """Ask GET /health/ready until it answers `status`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = client.get(READY)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_liveness_is_cheap_and_public(client: TestClient, context: AppContext) -> None:
    response = client.get(LIVE)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "database": context.engine.dialect.name}


def test_not_ready_while_the_recommender_warms_up_then_ready(
    shop: Shop, context: AppContext, settings: Settings, gate: threading.Event
) -> None:
    encoder = GatedEncoder(gate)
    app = warm_app(context, settings, lambda: encoder)
    with TestClient(app) as client:
        waiting = client.get(READY)
        assert waiting.status_code == 503
        body = waiting.json()
        assert body["status"] == "not ready"
        assert body["checks"]["recommender"]["ready"] is False
        assert body["reasons"] == [f"recommender: {body['checks']['recommender']['detail']}"]
        assert "warming up" in body["reasons"][0]
        assert body["checks"]["database"]["ready"] and body["checks"]["background_jobs"]["ready"]
        assert waiting.headers["Retry-After"] == "5"
        assert client.get(LIVE).status_code == 200  # alive all along

        gate.set()
        ready = wait_for(client, 200)
        assert ready.status_code == 200, ready.json()
        body = ready.json()
        assert body["status"] == "ready" and body["reasons"] == []
        assert all(check["ready"] for check in body["checks"].values())
        assert f"{len(shop.products)} products" in body["checks"]["recommender"]["detail"]

        # The first real request finds the recommender built and run: it neither builds nor encodes.
        holder = app.state.context.recommender
        assert holder is not None and holder.warm
        built, calls = holder.current, encoder.calls
        headers = auth(app.state.context, shop.world.clerk_a)
        answer = client.get(f"/api/v1/members/{shop.regular.id}/recommendations", headers=headers)
        assert answer.status_code == 200, answer.text
        assert holder.current is built and encoder.calls == calls


def test_a_failed_warm_up_is_tried_again(
    shop: Shop, context: AppContext, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.recommendations import lifecycle

    monkeypatch.setattr(lifecycle, "WARM_RETRY_SECONDS", (0.01,))
    attempts: list[int] = []

    def flaky() -> HashEncoder:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("model folder not there yet")
        return HashEncoder()

    app = warm_app(context, settings, flaky)
    with TestClient(app) as client:
        ready = wait_for(client, 200)
        assert ready.status_code == 200, ready.json()
        assert len(attempts) == 2
    holder = app.state.context.recommender
    assert holder.warm and holder.warm_error is None


def test_a_failed_warm_up_reads_as_a_reason(context: AppContext, settings: Settings) -> None:
    holder = RecommenderHolder(context.sessions, HashEncoder)
    holder.warm_error = "EncoderError: /models/x: not a sentence-transformers model folder"
    warm = replace(context, settings=settings.model_copy(update={"recommender_warm_up": True}))
    warm.recommender = holder
    check = check_recommender(warm)
    assert not check.ready and "warm-up failed, trying again: EncoderError" in check.detail


def test_with_warm_up_off_the_recommender_does_not_hold_readiness_back(client: TestClient) -> None:
    response = client.get(READY)
    assert response.status_code == 200, response.json()
    assert "warm-up is off" in response.json()["checks"]["recommender"]["detail"]


def test_a_schema_behind_the_code_is_not_ready(context: AppContext) -> None:
    migrate.downgrade(context.engine, "-1")
    with TestClient(create_app(context.settings, context=context)) as client:
        response = client.get(READY)
        assert response.status_code == 503
        assert "aisle db upgrade" in response.json()["checks"]["database"]["detail"]
        assert client.get(LIVE).status_code == 200
    migrate.upgrade(context.engine)


def test_a_background_job_that_died_is_a_reason(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    jobs: Jobs = app.state.jobs
    assert jobs.tasks, "the lifespan started no background task"
    name, task = jobs.tasks[0]
    assert jobs.loop is not None
    jobs.loop.call_soon_threadsafe(task.cancel)
    response = wait_for(client, 503)
    assert response.status_code == 503
    assert f"background_jobs: {name} stopped: cancelled" in response.json()["reasons"]


def test_a_stopping_server_is_not_ready(context: AppContext) -> None:
    app = create_app(context.settings, context=context)
    with TestClient(app) as client:
        assert client.get(READY).status_code == 200
    check = app.state.jobs.check()  # the lifespan's shutdown has run
    assert not check.ready and check.detail == "the server is shutting down"


def test_before_start_up_nothing_is_ready(context: AppContext) -> None:
    app = create_app(context.settings, context=context)  # its lifespan never ran
    report = asyncio.run(readiness(app))
    assert report.status == "not ready"
    assert report.reasons == ["background_jobs: not started"]


def test_the_openapi_document_describes_both(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    live, ready = paths[LIVE]["get"], paths[READY]["get"]
    assert "Liveness" in live["description"] and "/health/ready" in live["description"]
    assert "Readiness" in ready["description"]
    for check in ("database", "recommender", "background_jobs"):
        assert f"`{check}`" in ready["description"]
    for status in ("200", "503"):
        schema = ready["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ReadinessRead"}


def test_start_up_builds_every_route_before_the_first_request(context: AppContext) -> None:
    """FastAPI builds an included router's routes on the first request reaching it (0.2 s for the
    recommendations router): readiness has them built at start-up instead."""
    app = create_app(context.settings, context=context)
    included = [r for r in app.router.routes if hasattr(r, "effective_candidates")]
    with TestClient(app):
        built = [getattr(r, "_effective_candidates_version", "built up front") for r in included]
        assert None not in built
        assert compile_routes(app.router.routes) >= len(POLICY) - 1  # all but the socket are HTTP routes
