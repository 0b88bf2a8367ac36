"""The per-request session: its commit happens before the response leaves, so a failed commit is no 2xx."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, status
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from server.core.deps import SessionDep


def _app(fail_commit: bool) -> tuple[FastAPI, sessionmaker[Session]]:
    # One shared connection: an in-memory database lives as long as its connection.
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
    sessions = sessionmaker(engine)
    app = FastAPI()
    app.state.context = SimpleNamespace(sessions=sessions)

    @app.post("/notes", status_code=status.HTTP_201_CREATED)
    def add(session: SessionDep) -> dict[str, str]:
        session.execute(text("INSERT INTO notes (body) VALUES ('kept?')"))
        if fail_commit:

            def refuse(_session: Any) -> None:
                raise RuntimeError("the database refused the commit")

            event.listen(session, "before_commit", refuse)
        return {"status": "stored"}

    return app, sessions


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(text("SELECT count(*) FROM notes")) or 0)


def test_a_request_that_returns_is_committed_before_its_response() -> None:
    app, sessions = _app(fail_commit=False)
    with TestClient(app) as client:
        assert client.post("/notes").status_code == 201
    assert _count(sessions) == 1


def test_a_commit_that_fails_is_answered_with_an_error_not_a_2xx() -> None:
    app, sessions = _app(fail_commit=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        got = client.post("/notes")
    assert got.status_code == 500
    assert _count(sessions) == 0
