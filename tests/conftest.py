"""Database fixtures: every test that asks for `engine` runs on SQLite and on the real PostgreSQL.

The PostgreSQL server is named by AISLE_TEST_POSTGRES_URL (`.ci/run` starts one on loopback and sets
it). Each test gets a schema of its own there, dropped afterwards, so tests never see each other's rows.
The schema is migrated once per session and copied into each test's database (tests/fixtures/databases.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from server.app import create_app
from server.config import Settings, get_settings
from server.core.context import AppContext
from server.db.session import make_engine
from tests.fixtures.databases import SchemaTemplates, schema_url

PG_URL = os.environ.get("AISLE_TEST_POSTGRES_URL", "")
DEV_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"

if os.environ.get("CI") and not PG_URL:
    raise pytest.UsageError("CI must test against PostgreSQL: set AISLE_TEST_POSTGRES_URL (.ci/run does)")


def _backends() -> list[object]:
    pg = pytest.param("postgres", marks=pytest.mark.postgres)
    if not PG_URL:
        pg = pytest.param("postgres", marks=pytest.mark.skip(reason="AISLE_TEST_POSTGRES_URL is not set"))
    return ["sqlite", pg]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test PostgreSQL server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_backends())
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, schema_templates: SchemaTemplates
) -> Iterator[str]:
    """A URL to an empty database of each kind (PostgreSQL's is migrated for a test that takes `engine`)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aisle-test.db'}"
        return
    # A copy made while the previous test ran (tests/fixtures/databases.py); the engine fixture keeps it.
    schema = schema_templates.postgres_copy() if "engine" in request.fixturenames else postgres_schema()
    with schema as url:
        yield url


@pytest.fixture(scope="session")
def schema_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaTemplates]:
    """The newest schema, migrated once per session for each kind of database."""
    templates = SchemaTemplates(tmp_path_factory.mktemp("schema-template"), PG_URL)
    yield templates
    templates.close()


@pytest.fixture
def engine(db_url: str, schema_templates: SchemaTemplates) -> Iterator[Engine]:
    """An engine on a database at the newest schema (a copy of the session's migrated template)."""
    eng = make_engine(db_url)
    if db_url not in schema_templates.copies:
        schema_templates.copy_into(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
        # Tests that need the recommender build it on first use; most never do.
        recommender_warm_up=False,
        search_threads=0,  # leave the model tests in this process their threads
        # Tests that send messages run a dispatcher themselves (tests/server/messaging).
        messaging_dispatcher=False,
        # ... and journeys' work, as of the moments they choose (tests/server/automations).
        automations_runner=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def context(settings: Settings, engine: Engine) -> AppContext:
    return AppContext.from_settings(settings, engine=engine)


@pytest.fixture
def session(context: AppContext) -> Iterator[Session]:
    with context.sessions() as s:
        yield s


@pytest.fixture
def client(context: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(context.settings, context=context)) as c:
        yield c


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str, engine: Engine) -> Iterator[None]:
    """`aisle` commands run in the test read the test database and the test's data directory."""
    monkeypatch.setenv("AISLE_DATABASE_URL", db_url)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AISLE_SECRET_KEY", "test-secret-key-0123456789abcdef")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def dev_data() -> Path:
    """The Online Retail development file from ../shared/data (skipped where it is absent)."""
    if not DEV_DATA.exists():
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI expects the development data at {DEV_DATA}")
        pytest.skip(f"development data not found at {DEV_DATA}")
    return DEV_DATA
