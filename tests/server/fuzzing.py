"""Fuzzing every operation in the OpenAPI document with schemathesis: the app, its schema and the run.

Valid and invalid requests alike must never get a 5xx, and every answer must be one the document
declares: its status, its content type and its body's schema (issue 16, item 15). In-process through
the TestClient on SQLite only: the checks are about the edge, not the database, and the examples per
operation are bounded so the whole run takes a couple of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from server.auth.roles import Role
from server.config import Settings
from server.core.context import AppContext
from server.db import migrate
from server.db.base import utcnow
from server.db.session import make_engine
from server.members.access import LookupLimit
from server.members.deps import get_lookup_limit
from tests.fixtures.factories import (
    auth,
    make_member,
    make_product,
    make_staff,
    make_store,
    make_transaction,
)

API = "/api/v1"
# Valid and as many invalid examples per operation and role: enough to reach the edges of each schema,
# few enough for CI.
EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class Fuzzed:
    """The app under fuzz, its client, and sign-in headers for each role."""

    def __init__(self, client: TestClient, headers: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A SQLite database with two stores, staff, members, products and sales, served in-process."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'fuzz.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    config = Settings(
        data_dir=tmp / "data",
        database_url=url,
        secret_key=SecretStr("fuzz-secret-key-0123456789abcdef"),
        recommender_warm_up=False,
        search_threads=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    context = AppContext.from_settings(config, engine=engine)
    with context.sessions() as session:
        a, b = make_store(session, name="Store A"), make_store(session, name="Store B")
        clerk = make_staff(session, [(Role.CLERK, a.id)])
        manager = make_staff(session, [(Role.STORE_MANAGER, a.id)])
        make_staff(session, [(Role.VIP_CONSULTANT, a.id)])
        products = [make_product(session, category=c, price="12.50") for c in ("candles", "mugs", "bags")]
        for n, store in enumerate((a, a, b)):
            member = make_member(session, context.keys, store, phone=f"138001380{n:02d}")
            for days in (3, 40, 200):
                when = utcnow() - timedelta(days)
                make_transaction(session, store, member, [(products[n], 2, "12.50")], occurred_at=when)
        session.commit()
        headers = {"clerk": auth(context, clerk), "manager": auth(context, manager)}
    app = create_app(config, context=context)
    # The look-up limit would turn most look-ups into 429s within the first second of fuzzing.
    app.dependency_overrides[get_lookup_limit] = lambda: LookupLimit(per_window=1_000_000, window_seconds=60)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Fuzzed(client, headers)
    engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    """The app's own OpenAPI document, as schemathesis reads it."""
    spec = fuzzed.client.get(f"{API}/openapi.json").json()
    return schemathesis.openapi.from_dict(spec)


def _send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a generated case through the TestClient (httpx takes raw bytes as `content`)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    kwargs.pop("allow_redirects", None)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)  # httpx deprecates per-request cookies; none are generated anyway
    return client.request(**kwargs)


def fuzz(api_schema: Any, fuzzed: Fuzzed, role: str) -> list[str]:
    """Run every operation with valid and invalid examples; what went wrong, one entry per operation."""
    problems = []
    for found in api_schema.get_all_operations():
        operation = found.ok()
        for mode in GenerationMode:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,  # nothing written to .hypothesis/
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = _send(fuzzed.client, case, fuzzed.headers[role])
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # no request can break this operation's schema (no parameters, no body)
            except (Exception, FailureGroup) as exc:  # every operation runs; failures are reported together
                problems.append(f"{operation.label} ({mode.value}): {exc}")
    return problems
