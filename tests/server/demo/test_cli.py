"""`aisle demo --no-serve`: generated and imported demos, re-runs, sign-in and look-ups over the API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from server.app import create_app
from server.auth.passwords import hash_password, verify_password
from server.cli import app
from server.config import Settings, get_settings
from server.core.context import AppContext
from server.core.phone import normalise_phone
from server.db import migrate
from server.db.base import utcnow
from server.db.tables import ConsultantAssignment, Member, Staff, Store, Transaction
from server.demo import writer
from server.demo.generator import FEATURED_MEMBER_CARD
from server.demo.identities import card_number, cn_mobile, pretty_phone
from server.demo.people_data import STORES
from tests.server.demo.conftest import SECRET, SMALL_CUSTOMERS

runner = CliRunner()
TOKEN = "/api/v1/auth/token"


def run_demo(*args: str) -> str:
    get_settings.cache_clear()
    result = runner.invoke(app, ["demo", "--no-serve", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def table_counts(context: AppContext) -> tuple[int, ...]:
    with context.engine.connect() as conn:
        return tuple(
            conn.scalar(select(func.count()).select_from(t)) or 0
            for t in (Member, Transaction, Staff, ConsultantAssignment)
        )


def sign_in(client: TestClient, login: str, password: str) -> dict[str, str]:
    response = client.post(TOKEN, data={"username": login, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_generated_demo_then_a_rerun_that_changes_nothing(demo_env: Settings) -> None:
    output = run_demo("--generate")
    assert "Generated demo chain: added" in output and "nothing added" not in output
    # Every long step says what it starts, then what it did and how long it took.
    for step in (
        "Demo staff: checking 14 accounts…",
        "Generating the demo chain: 2000 members",
        "Writing the demo chain",
        "Loyalty: applying",
        "Loyalty: applied",
        "Nightly pass as of",
        "Ran the nightly pass as of",
        "Set up in",
    ):
        assert step in output, step
    assert "Ready" not in output  # --no-serve: nothing is served, so nothing is ready
    assert "王芳" in output and FEATURED_MEMBER_CARD in output
    assert "sh.clerk1" in output and "demo-sh-clerk1" in output and "http://127.0.0.1:8000/docs" in output
    context = AppContext.from_settings(get_settings())
    first = table_counts(context)
    assert first[0] == 2000 and first[1] > 15_000 and first[2] == 14 and first[3] > 0
    # A manager changes their password; the demo must not put the old one back.
    with context.engine.begin() as conn:
        conn.execute(
            update(Staff)
            .where(Staff.login == "sh.manager")
            .values(password_hash=hash_password("mine-now-123"))
        )

    # A re-run redoes none of the long steps (how long it takes is bench's business, not a test's).
    again = run_demo()
    assert "already in the database, nothing added" in again and "Loyalty is up to date" in again
    assert "Generating" not in again and "Writing" not in again and "Loyalty: applying" not in again
    assert "(changed, kept)" in again
    assert table_counts(context) == first
    with context.sessions() as session:
        manager = session.scalars(select(Staff).where(Staff.login == "sh.manager")).one()
        assert verify_password("mine-now-123", manager.password_hash)

    with TestClient(create_app(get_settings(), context=context)) as client:
        headers = sign_in(client, "sh.vip", "demo-sh-vip")
        me = client.get("/api/v1/auth/me", headers=headers).json()
        assert me["roles"][0]["role"] == "vip_consultant"
        found = client.get(
            "/api/v1/members", params={"q": pretty_phone(cn_mobile(1))}, headers=headers
        ).json()
        assert [(m["name"], m["card_number"]) for m in found["items"]] == [("王芳", FEATURED_MEMBER_CARD)]
        assert sign_in(client, "admin", "demo-admin")
        refused = client.post(TOKEN, data={"username": "sh.manager", "password": "demo-sh-manager"})
        assert refused.status_code == 401
    context.engine.dispose()


def test_imported_demo_members_are_found_by_their_demo_phone(
    demo_env: Settings, small_retail_file: Path
) -> None:
    output = run_demo("--data", str(small_retail_file))
    assert "Gave 5 imported members a demo phone" in output and "uk.vip" in output
    assert "Importing " in output and "Development data " in output and "Loyalty: applied" in output
    assert "+44 7700 117850" in output and "+44 7700 113047" in output
    again = run_demo("--data", str(small_retail_file))
    assert "nothing added" in again and "Gave" not in again
    context = AppContext.from_settings(get_settings())
    with TestClient(create_app(get_settings(), context=context)) as client:
        headers = sign_in(client, "uk.clerk1", "demo-uk-clerk1")
        found = client.get("/api/v1/members", params={"q": "+44 7700 117850"}, headers=headers).json()
        assert [m["name"] for m in found["items"]] == ["Customer 17850"]
        assert found["items"][0]["card_number"] == "600000178506"
        france = sign_in(client, "france.manager", "demo-france-manager")
        found = client.get("/api/v1/members", params={"q": card_number(12583)}, headers=france).json()
        assert [m["name"] for m in found["items"]] == ["Customer 12583"]
    context.engine.dispose()


def test_fresh_starts_over_from_an_empty_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_retail_file: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "aisle-data"))
    monkeypatch.delenv("AISLE_DATABASE_URL", raising=False)
    monkeypatch.setenv("AISLE_SECRET_KEY", SECRET)
    run_demo("--data", str(small_retail_file))
    database = tmp_path / "aisle-data" / "aisle.db"
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE members SET name = 'Renamed by hand'")
    output = run_demo("--fresh", "--data", str(small_retail_file))
    assert "Deleted the demo database" in output and "added" in output
    with sqlite3.connect(database) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM members ORDER BY name")]
    assert len(names) == len(SMALL_CUSTOMERS) and "Renamed by hand" not in names
    get_settings.cache_clear()


def test_clear_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "aisle-data"))
    monkeypatch.setenv("AISLE_SECRET_KEY", SECRET)
    monkeypatch.setenv("AISLE_DATABASE_URL", "postgresql://shop:s3cret@db.invalid/aisle")
    get_settings.cache_clear()
    refused = runner.invoke(app, ["demo", "--no-serve", "--fresh"])
    assert refused.exit_code == 2
    assert "--fresh only deletes a SQLite" in refused.output and "s3cret" not in refused.output
    monkeypatch.setenv("AISLE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    get_settings.cache_clear()
    missing = runner.invoke(app, ["demo", "--no-serve", "--data", str(tmp_path / "nope.csv.gz")])
    assert missing.exit_code == 2 and "no data file at" in missing.output
    get_settings.cache_clear()


def refuse_demo(*args: str) -> str:
    get_settings.cache_clear()
    result = runner.invoke(app, ["demo", "--no-serve", *args])
    assert result.exit_code == 1, result.output + repr(result.exception)
    assert len(result.stderr.strip().splitlines()) == 1 and "--fresh" in result.stderr, result.stderr
    return result.stderr


def test_generate_refuses_a_database_holding_the_imported_chain(
    demo_env: Settings, small_retail_file: Path
) -> None:
    run_demo("--data", str(small_retail_file))
    context = AppContext.from_settings(get_settings())
    before = table_counts(context)
    assert "holds the imported Online Retail chain" in refuse_demo("--generate")
    assert table_counts(context) == before
    with context.engine.connect() as conn:
        assert not conn.scalar(select(func.count()).select_from(Store).where(Store.code == "SH-JINGAN"))
    context.engine.dispose()


def test_an_import_refuses_a_database_holding_the_generated_chain(
    demo_env: Settings, small_retail_file: Path
) -> None:
    context = AppContext.from_settings(get_settings())
    migrate.upgrade(context.engine)
    with context.engine.begin() as conn:
        writer.ensure_stores(conn, STORES, utcnow())  # what the generator writes first
    assert "holds the generated demo chain" in refuse_demo("--data", str(small_retail_file))
    assert table_counts(context) == (0, 0, 0, 0)
    context.engine.dispose()


@pytest.mark.slow
def test_demo_on_the_development_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dev_data: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ../shared here: the demo must find the data next to the repository
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "aisle-data"))
    monkeypatch.setenv("AISLE_DATABASE_URL", f"sqlite:///{tmp_path / 'aisle-data' / 'dev.db'}")
    monkeypatch.setenv("AISLE_SECRET_KEY", SECRET)
    output = run_demo()
    assert "Development data" in output and "added" in output
    for step in ("Importing ", "Loyalty: applied", "Ran the nightly pass as of 2011-12-10", "Set up in"):
        assert step in output, step
    context = AppContext.from_settings(get_settings())
    with context.engine.connect() as conn:
        members, phones, cards, tokens = conn.execute(
            select(func.count(), func.count(Member.phone_hash), func.count(Member.card_number),
                   func.count(Member.qr_token))
        ).one()  # fmt: skip
        assert members > 3000 and phones == cards == tokens == members
        digest = context.keys.phone_hash(normalise_phone("+44 7700 117850"))
        assert (
            conn.scalar(select(Member.external_ref).where(Member.phone_hash == digest))
            == "online-retail:17850"
        )
        assert (conn.scalar(select(func.count()).select_from(ConsultantAssignment)) or 0) > 0
    again = run_demo()
    assert "nothing added" in again and "Loyalty is up to date" in again
    assert "Importing " not in again and "Loyalty: applying" not in again  # none of the long steps again
    context.engine.dispose()
    get_settings.cache_clear()
