"""`aisle demo` without the printing: a database with data, demo staff and VIPs, reusable on every run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url

from server.auth.roles import Role
from server.automations.seeds import ensure_seed_journeys
from server.config import Settings
from server.core.clock import shifted_now
from server.core.context import AppContext
from server.core.errors import Conflict, InvalidInput
from server.db import migrate
from server.db.base import utcnow
from server.db.session import make_engine, session_scope
from server.db.tables import Member, Store, Transaction
from server.demo import imported, team, writer
from server.demo.coupons import seed_coupons
from server.demo.generator import DEFAULT_SEED, FEATURED_MEMBER_CARD, generate_demo
from server.demo.identities import pretty_phone
from server.demo.people_data import STAFF_NAMES, STORES
from server.demo.steps import Steps, added_text
from server.importer.plan import store_code
from server.jobs.catch_up import CatchUp, catch_up, data_as_of
from server.rewards.examples import ensure_example_rewards
from server.tags.examples import ensure_example_rules

IMPORTED, GENERATED = "imported", "generated"  # the two demo chains a database can hold
CHAIN_NAMES = {IMPORTED: "imported Online Retail chain", GENERATED: "generated demo chain"}
IMPORTED_STORE_PREFIX = store_code("")  # "OR-": every store of the imported chain
TEAM_STORES = 3  # stores of imported data that get a demo team: those with the most members


@dataclass(frozen=True)
class MemberToTry:
    """A member worth looking up in the demo, with the phone and card to look them up by."""

    name: str
    phone: str
    card: str
    store: str


@dataclass
class DemoReport:
    """What `set_up_demo` found and did."""

    source: str  # "generated" or the path of the imported file
    added: dict[str, int] = field(default_factory=dict)  # empty when the data was already there
    rejected: int = 0  # source lines the importer could not take
    reject_file: str | None = None  # where it listed them
    accounts: list[team.AccountStatus] = field(default_factory=list)
    identities_added: int = 0
    vips_assigned: int = 0
    members: list[MemberToTry] = field(default_factory=list)
    seconds: float = 0.0
    loyalty: CatchUp | None = None  # points, tiers and tags caught up with the history, as of its last day


class OtherChain(Conflict):
    """The database holds the other demo chain: setting up this one would merge two chains into one."""


def chain_held(conn: Connection) -> str | None:
    """Which demo chain the database holds, IMPORTED or GENERATED (by its stores' codes), or None.

    The importer names its stores after the source's countries ("OR-UNITED-KINGDOM"); the generator opens
    the stores of `people_data.STORES` ("SH-JINGAN", ...) before writing anything else, and records its run.
    """
    if conn.scalar(select(Store.id).where(Store.code.startswith(IMPORTED_STORE_PREFIX)).limit(1)):
        return IMPORTED
    generated_codes = [s.code for s in STORES]
    if conn.scalar(select(Store.id).where(Store.code.in_(generated_codes)).limit(1)):
        return GENERATED
    return GENERATED if writer.generated_run(conn) is not None else None


def demo_database_file(settings: Settings) -> Path:
    """The SQLite file `--fresh` may delete; InvalidInput when the database is anything else."""
    url = make_url(settings.resolved_database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(
            "--fresh only deletes a SQLite demo database inside the data directory; "
            f"the database is {shown}. Drop it yourself, or unset AISLE_DATABASE_URL to use "
            "the demo's own SQLite file."
        )
    path = Path(url.database).resolve()
    data_dir = settings.data_dir.resolve()
    if not path.is_relative_to(data_dir):
        raise InvalidInput(
            f"--fresh only deletes a SQLite database inside the data directory {data_dir}; "
            f"{path} is outside it"
        )
    return path


def delete_demo_database(settings: Settings) -> Path:
    """Delete the demo SQLite database (and its WAL files) so the next run starts empty."""
    path = demo_database_file(settings)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def open_demo_database(settings: Settings, fresh: bool = False) -> AppContext:
    """Connect to (creating if need be) the configured database and bring it to the newest schema."""
    if fresh:
        delete_demo_database(settings)
    url = settings.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    context = AppContext.from_settings(settings, make_engine(url, echo=settings.sql_echo))
    migrate.upgrade(context.engine)
    return context


def set_up_demo(
    context: AppContext,
    *,
    data: Path | None = None,
    generate: bool = False,
    seed: int = DEFAULT_SEED,
    members: int = 2000,
    progress: bool = False,
    steps: Steps | None = None,
) -> DemoReport:
    """Fill the database with demo data (import or generate), staff, VIPs and member ids; safe to re-run.

    The source is the generator when asked for, or when the database already holds the generated chain;
    else the file given, else the development data when it is found, else the generator. `progress`
    draws the importer's progress bar; `steps` is told of each long step as it starts and ends.
    """
    steps = steps or Steps()
    clock = time.perf_counter()
    if data is not None and not data.is_file():
        raise InvalidInput(f"no data file at {data}")
    with context.engine.connect() as conn:
        held = chain_held(conn)
    path = None if generate or (held == GENERATED and data is None) else data or imported.find_dev_data()
    wanted = GENERATED if path is None else IMPORTED
    if held is not None and held != wanted:
        raise OtherChain(
            f"the database already holds the {CHAIN_NAMES[held]}; {CHAIN_NAMES[wanted]} would be merged "
            "into it. Add --fresh to start over with an empty database"
        )
    if path is None:
        report = _generated(context, seed, members, steps)
    else:
        report = _imported(context, path, progress, steps)
    report.seconds = round(time.perf_counter() - clock, 2)
    return report


def _generated(context: AppContext, seed: int, members: int, steps: Steps) -> DemoReport:
    engine = context.engine
    with engine.begin() as conn:
        store_ids = writer.ensure_stores(conn, STORES, utcnow())
        already = writer.generated_run(conn) is not None
        if already:  # a chain written before categories had labels gets them
            writer.label_categories(conn)
    staffed = [
        team.TeamStore(store_ids[s.code], s.code, s.name, s.language) for s in STORES if s.slug in STAFF_NAMES
    ]
    report = DemoReport(source="generated")
    report.accounts = _ensure_accounts(context, team.demo_accounts(staffed), steps)
    if not already:
        with steps.step(f"Generating the demo chain: {members} members, two years of sales") as done:
            data = generate_demo(seed, utcnow(), members)
            done(
                f"Generated {len(data.products)} products, {len(data.members)} members and "
                f"{len(data.transactions)} transactions"
            )
        authors: dict[tuple[str, str], int] = {}
        for status in report.accounts:
            slug, _, key = status.account.login.partition(".")
            authors[(slug, key)] = status.staff_id
        with steps.step("Writing the demo chain to the database") as done, engine.begin() as conn:
            report.added = writer.write_demo(conn, data, context.keys, store_ids, authors)
            report.added["coupons"] = seed_coupons(conn, seed, utcnow())
            done(f"Generated demo chain: added {added_text(report.added)}")
    report.loyalty = _catch_up_loyalty(context, steps)
    _finish(context, report, [s.id for s in staffed], featured_card=FEATURED_MEMBER_CARD)
    return report


def _imported(context: AppContext, path: Path, progress: bool, steps: Steps) -> DemoReport:
    from server.importer.service import import_online_retail

    engine = context.engine
    report = DemoReport(source=str(path))
    with engine.connect() as conn:
        skip = imported.already_imported(conn, path)
    if not skip:
        # The importer draws its own progress bar (when `progress`): no spinner over it.
        size = f"{path.stat().st_size / 1e6:.1f} MB"
        with steps.step(f"Importing {path} ({size})", live=False) as done:
            summary = import_online_retail(engine, path, progress=progress).as_dict()
            report.added = {k.removesuffix("_added"): v for k, v in summary.items() if k.endswith("_added")}
            report.rejected, report.reject_file = summary["rejected"], summary["reject_file"]
            done(f"Development data {path}: added {added_text(report.added)}")
    with engine.begin() as conn:
        report.identities_added = imported.give_demo_identities(conn, context.keys)
    report.loyalty = _catch_up_loyalty(context, steps)
    stores = _busiest_stores(engine, TEAM_STORES)
    report.accounts = _ensure_accounts(context, team.demo_accounts(stores), steps)
    _finish(context, report, [s.id for s in stores])
    return report


def _ensure_accounts(
    context: AppContext, accounts: list[team.DemoAccount], steps: Steps
) -> list[team.AccountStatus]:
    # Each demo password is hashed (or checked) with a deliberately slow hash: a second or two in all.
    with steps.step(f"Demo staff: checking {len(accounts)} accounts") as done:
        with session_scope(context.sessions) as session:
            statuses = team.ensure_accounts(session, accounts)
        done(f"Demo staff: {len(statuses)} accounts ready")
    return statuses


def _catch_up_loyalty(context: AppContext, steps: Steps) -> CatchUp:
    """Example tag rules, then points and tiers for the history and one nightly pass as of its end."""
    with session_scope(context.sessions) as session:
        as_of = data_as_of(session)
        if as_of is not None:
            ensure_example_rules(session, as_of)
            ensure_example_rewards(session, as_of)
            ensure_seed_journeys(session, as_of)
        return catch_up(session, step=steps.step)


def _busiest_stores(engine: Engine, limit: int) -> list[team.TeamStore]:
    members = func.count(Member.id)
    query = (
        select(Store.id, Store.code, Store.name)
        .join(Member, Member.home_store_id == Store.id)
        .group_by(Store.id, Store.code, Store.name)
        .order_by(members.desc(), Store.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [team.TeamStore(i, code, name, "en") for i, code, name in conn.execute(query)]


def _finish(
    context: AppContext, report: DemoReport, store_ids: list[int], featured_card: str | None = None
) -> None:
    """Assign VIPs to each store's consultant (as of the demo's business clock) and pick members to try."""
    admin = next((s.staff_id for s in report.accounts if s.account.login == "admin"), None)
    now = shifted_now(clock_offset(report))
    with session_scope(context.sessions) as session:
        for status in report.accounts:
            if status.account.role == Role.VIP_CONSULTANT and status.account.store_id is not None:
                report.vips_assigned += team.assign_vips(
                    session, status.staff_id, status.account.store_id, admin, now
                )
    report.members = members_to_try(context, store_ids, featured_card)


def clock_offset(report: DemoReport) -> timedelta | None:
    """The demo's business clock (`app.state.clock_offset`): for historical data, from the day after the
    data ends, time still running; None (the wall clock) for recent data."""
    as_of = report.loyalty.as_of if report.loyalty else None
    now = utcnow()
    return as_of - now if as_of is not None and now - as_of > timedelta(days=2) else None


def members_to_try(
    context: AppContext, store_ids: list[int], featured_card: str | None = None, per_store: int = 2
) -> list[MemberToTry]:
    """The featured member (by card) and each store's best customers, with their phone and card."""
    spend = func.sum(Transaction.total_amount)
    chosen: list[int] = []
    with context.engine.connect() as conn:
        if featured_card:
            chosen += conn.scalars(select(Member.id).where(Member.card_number == featured_card)).all()
        for store_id in store_ids:
            best = (
                select(Transaction.member_id)
                .join(Member, Member.id == Transaction.member_id)
                .where(Member.home_store_id == store_id, Member.phone_encrypted.is_not(None))
                .group_by(Transaction.member_id)
                .order_by(spend.desc(), Transaction.member_id)
                .limit(per_store)
            )
            chosen += [m for m in conn.scalars(best) if m is not None and m not in chosen]
        rows = conn.execute(
            select(Member.id, Member.name, Member.phone_encrypted, Member.card_number, Store.name)
            .outerjoin(Store, Store.id == Member.home_store_id)
            .where(Member.id.in_(chosen))
        ).all()
    by_id = {row[0]: row for row in rows}
    found: list[MemberToTry] = []
    for member_id in chosen:
        if member_id in by_id:
            _, name, phone, card, store = by_id[member_id]
            shown = pretty_phone(context.keys.decrypt(phone)) if phone else ""
            found.append(MemberToTry(name=name, phone=shown, card=card or "", store=store or ""))
    return found
