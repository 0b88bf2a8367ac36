"""`aisle demo` shows every long step as it runs, and says Ready only once the server is ready."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy.orm import Session

from server.app import create_app
from server.config import Settings
from server.core.context import AppContext
from server.demo import cli as demo_cli
from server.demo import service
from server.demo.steps import Done, Steps
from server.recommendations.engine import RecommenderHolder
from tests.server.health.test_health import WAIT_SECONDS, GatedEncoder
from tests.server.recommendations.conftest import build_shop


class Recorded(Steps):
    """Every step's announcement and what it said it did, in order."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str | None]] = []

    @contextmanager
    def step(self, doing: str, *, live: bool = True) -> Iterator[Done]:
        said: list[str] = []
        yield said.append
        self.steps.append((doing, said[-1] if said else None))


def test_a_generated_set_up_reports_each_long_step(context: AppContext) -> None:
    recorded = Recorded()
    service.set_up_demo(context, generate=True, members=60, steps=recorded)
    doing = [d for d, _ in recorded.steps]
    starts = (
        "Demo staff:",
        "Generating the demo chain:",
        "Writing the demo chain",
        "Loyalty:",
        "Nightly pass as of",
    )
    assert len(doing) == len(starts), doing
    assert all(d.startswith(s) for d, s in zip(doing, starts, strict=True)), doing
    assert doing[1] == "Generating the demo chain: 60 members, two years of sales"
    said = [done or "" for _, done in recorded.steps]
    assert said[0] == "Demo staff: 14 accounts ready"
    assert "60 members" in said[1]
    assert said[2].startswith("Generated demo chain: added 4 stores,")
    assert said[3].startswith("Loyalty: applied ") and "tier change" in said[3]
    assert said[4].startswith("Ran the nightly pass as of ") and "heat alert" in said[4]

    again = Recorded()
    service.set_up_demo(context, steps=again)
    assert [d for d, _ in again.steps] == ["Demo staff: checking 14 accounts"]  # nothing else to do


def test_an_import_reports_its_steps(context: AppContext, small_retail_file: Path) -> None:
    recorded = Recorded()
    service.set_up_demo(context, data=small_retail_file, steps=recorded)
    doing = [d for d, _ in recorded.steps]
    assert doing[0].startswith(f"Importing {small_retail_file} (")
    added = "added 8 transactions, 11 lines, 5 members, 10 products, 3 stores"
    assert recorded.steps[0][1] == f"Development data {small_retail_file}: {added}"
    starts = ("Importing", "Loyalty: applying", "Nightly pass as of 2010-12-03:", "Demo staff:")
    assert len(doing) == len(starts), doing
    assert all(d.startswith(s) for d, s in zip(doing, starts, strict=True)), doing


def test_each_step_prints_what_it_starts_then_what_it_did() -> None:
    printed = io.StringIO()
    steps = demo_cli.ConsoleSteps(Console(file=printed, width=200, force_terminal=False))
    with steps.step("Loyalty: applying 3 transactions") as done:
        done("Loyalty: applied 3 transactions of 2 members")
    with steps.step("Nightly pass"):
        pass
    lines = printed.getvalue().splitlines()
    assert lines[0] == "Loyalty: applying 3 transactions…"
    assert lines[1].startswith("Loyalty: applied 3 transactions of 2 members in ") and lines[1].endswith(" s")
    assert lines[2] == "Nightly pass…" and lines[3].startswith("Nightly pass: done in ")


def test_a_failed_step_says_nothing_more() -> None:
    printed = io.StringIO()
    steps = demo_cli.ConsoleSteps(Console(file=printed, width=200, force_terminal=True))
    with pytest.raises(RuntimeError), steps.step("Writing the demo chain to the database"):
        raise RuntimeError("disk full")
    assert "in " not in printed.getvalue().replace("Writing the demo chain", "")


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What `aisle demo` prints."""
    text = io.StringIO()
    monkeypatch.setattr(demo_cli, "out", Console(file=text, width=200, force_terminal=False))
    return text


def test_ready_is_said_only_once_the_server_is_ready(
    session: Session, context: AppContext, settings: Settings, printed: io.StringIO
) -> None:
    shop = build_shop(session, context)
    gate = threading.Event()
    warm = replace(context, settings=settings.model_copy(update={"recommender_warm_up": True}))
    warm.recommender = RecommenderHolder(warm.sessions, lambda: GatedEncoder(gate))
    app = create_app(warm.settings, warm)
    server = SimpleNamespace(started=True, should_exit=False)  # uvicorn's flags, as its Server sets them
    try:
        with TestClient(app) as client:
            watcher = threading.Thread(
                target=demo_cli.say_when_ready,
                args=(server, app, "http://127.0.0.1:8000", time.perf_counter()),
            )
            watcher.start()
            assert client.get("/api/v1/health/ready").status_code == 503
            assert "Ready" not in printed.getvalue()
            gate.set()
            watcher.join(WAIT_SECONDS)
            assert not watcher.is_alive()
            assert client.get("/api/v1/health/ready").status_code == 200
    finally:
        gate.set()
        server.should_exit = True
    lines = [line for line in printed.getvalue().splitlines() if line.startswith("Ready")]
    assert len(lines) == 1 and lines[0].endswith(
        "http://127.0.0.1:8000 serves the first arrival at full speed"
    )
    assert len(shop.products) and app.state.context.recommender.warm


def test_a_server_that_stops_before_it_is_ready_is_never_called_ready(
    context: AppContext, printed: io.StringIO
) -> None:
    app = create_app(context.settings, context=context)  # never started: never ready
    server = SimpleNamespace(started=False, should_exit=False)
    watcher = threading.Thread(
        target=demo_cli.say_when_ready, args=(server, app, "http://x", time.perf_counter())
    )
    watcher.start()
    server.should_exit = True
    watcher.join(WAIT_SECONDS)
    assert not watcher.is_alive() and printed.getvalue() == ""
