"""`aisle models ...`: list and compare trained versions, promote or roll back, run A/B experiments."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from server.config import get_settings
from server.core.errors import AisleError
from server.db.tables import ModelDeployment

if TYPE_CHECKING:
    from models.versions import VersionStore

models_app = typer.Typer(
    help="Recommender versions: which store serves which, A/B tests.", no_args_is_help=True
)
ab_app = typer.Typer(
    help="A/B experiments between the served version and a challenger.", no_args_is_help=True
)
models_app.add_typer(ab_app, name="ab")
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)
PIPED_WIDTH = 200  # a table written to a file or a pipe: one line a row, not the 80 columns of a guess


def _print_table(table: Table) -> None:
    (_out if _out.is_terminal else Console(width=PIPED_WIDTH)).print(table)


StoresOption = Annotated[
    str | None,
    typer.Option("--stores", help="Comma-separated store ids, e.g. 1,2 (default: the whole chain)."),
]


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(2)


def _stores(value: str | None) -> list[int] | None:
    """'1,2' -> [1, 2]; None for the chain."""
    if value is None:
        return None
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise _fail(f"--stores {value!r} is not a list of store ids such as 1,2") from None
    if not ids or any(i < 1 for i in ids):
        raise _fail(f"--stores {value!r} is not a list of store ids such as 1,2")
    return ids


@contextmanager
def _session() -> Iterator[Session]:
    """A unit of work on the configured database, committed at the end; an AisleError is one line."""
    from server.db.migrate import open_database
    from server.db.session import make_session_factory, session_scope

    try:
        engine = open_database(get_settings())
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except AisleError as exc:
        raise _fail(exc.message) from exc


def _versions() -> VersionStore:
    from models.versions import VersionStore  # imported when used: `aisle --help` need not load numpy

    return VersionStore(get_settings().models_dir)


def _scope(store_id: int | None) -> str:
    return "chain" if store_id is None else f"store {store_id}"


def _print_rows(rows: list[ModelDeployment]) -> None:
    for row in rows:
        line = f"{_scope(row.store_id)}: {row.version}"
        if row.challenger is not None:
            line += f", {row.challenger} to {row.challenger_share}% in {row.experiment}"
        if row.note:
            line += f" ({row.note})"
        _out.print(line, highlight=False)


def _fig(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@models_app.command("list")
def list_versions() -> None:
    """The trained versions, newest first, with their held-back figures and where each serves."""
    from server.deployments import service

    with _session() as session:
        where = service.servings(session)
    store = _versions()
    found = store.versions()
    if not found:
        _out.print(f"No model versions in {store.root} yet: `aisle models train` makes one.")
        return
    table = Table()
    # A version's name is what every other command takes: never cut, whatever the terminal's width.
    table.add_column("version", no_wrap=True, min_width=max(len(v.name) for v in found))
    for header in ("created", "data window", "recall@10", "explore-only recall@10", "served"):
        table.add_column(header)
    for v in found:
        window = f"{v.data.get('first_day') or '?'} .. {v.data.get('last_day') or '?'}"
        served = ", ".join(
            _scope(s.store_id)
            + (f" ({'B' if s.role == 'challenger' else 'A'} {s.share}%)" if s.experiment else "")
            for s in where.get(v.name, [])
        )
        table.add_row(
            v.name,
            v.created_at[:16].replace("T", " "),
            window,
            _fig(v.metrics.get("recall@10")),
            _fig(v.metrics.get("explore_only_recall@10")),
            served or "-",
        )
    _print_table(table)


@models_app.command("compare")
def compare_versions(a: str, b: str) -> None:
    """The metrics of versions A and B side by side, with the ratio B / A."""
    from models.versions import compare
    from server.deployments.service import version_of

    store = _versions()
    try:
        first, second = version_of(store, a), version_of(store, b)
    except AisleError as exc:
        raise _fail(exc.message) from exc
    table = Table("metric", a, b, "B / A")
    for name, m in compare(first, second).items():
        ratio = m["ratio"]
        table.add_row(name, _fig(m["a"]), _fig(m["b"]), "-" if ratio != ratio else f"{ratio:.3f}")
    _print_table(table)


@models_app.command("promote")
def promote(
    version: str,
    stores: StoresOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if its recall@10 is too much worse.")
    ] = False,
) -> None:
    """Serve VERSION in the stores named (or the whole chain), ending any experiment there."""
    from server.deployments import service

    ids = _stores(stores)
    max_drop = get_settings().model_max_drop
    with _session() as session:
        rows = service.promote(session, _versions(), version, ids, None, force, max_drop)
        _print_rows(rows)


@models_app.command("rollback")
def rollback(stores: StoresOption = None) -> None:
    """Serve again the version served before the current one."""
    from server.deployments import service

    ids = _stores(stores)
    with _session() as session:
        _print_rows(service.rollback(session, ids, None))


@ab_app.command("start")
def ab_start(
    challenger: str,
    share: Annotated[
        int, typer.Option("--share", min=1, max=99, help="Percent of members on the challenger.")
    ] = 50,
    stores: StoresOption = None,
) -> None:
    """Serve CHALLENGER to a share of members beside the served version; prints the experiment's label."""
    from server.deployments import service

    ids = _stores(stores)
    with _session() as session:
        rows = service.start_experiment(session, _versions(), challenger, share, ids, None)
        _out.print(f"experiment {rows[0].experiment}", highlight=False)
        _print_rows(rows)


@ab_app.command("stop")
def ab_stop(
    experiment: str,
    keep: Annotated[
        str, typer.Option("--keep", help="A: the served version stays; B: the challenger is promoted.")
    ],
) -> None:
    """End EXPERIMENT keeping arm A or B."""
    from server.deployments import service

    with _session() as session:
        rows = service.stop_experiment(session, experiment, keep.upper(), None)
        _out.print(f"experiment {experiment} stopped, kept {keep.upper()}", highlight=False)
        _print_rows(rows)


@ab_app.command("report")
def ab_report(experiment: str) -> None:
    """Shown, accepted, sold and revenue per arm, and B - A with 95 % confidence intervals."""
    from server.deployments import service

    with _session() as session:
        report = service.experiment_report(session, experiment)
    state = "running" if report.ended_at is None else f"ended {report.ended_at:%Y-%m-%d %H:%M}"
    _out.print(
        f"{report.experiment}: A {report.incumbent}, B {report.challenger} ({report.share}%), {state}",
        highlight=False,
    )
    table = Table("arm")
    names = [arm.version for arm in report.arms.values()]
    table.add_column("version", no_wrap=True, min_width=max(map(len, names), default=7))
    for header in ("members", "shown", "accepted", "sold", "revenue", "accept %", "sale %", "rev/shown"):
        table.add_column(header)
    for arm in report.arms.values():
        table.add_row(
            arm.arm,
            arm.version,
            str(arm.members),
            str(arm.shown),
            str(arm.accepted),
            str(arm.sold),
            f"{arm.revenue:.2f}",
            _pct(arm.acceptance_rate),
            _pct(arm.sale_rate),
            _fig(arm.revenue_per_shown, 2),
        )
    _print_table(table)
    formats: dict[str, Callable[[float], str]] = {
        "acceptance_rate": lambda x: f"{x * 100:+.1f} pts",
        "sale_rate": lambda x: f"{x * 100:+.1f} pts",
        "revenue_per_shown": lambda x: f"{x:+.2f}",
    }
    for name, interval in report.differences.items():
        show = formats[name]
        if interval is None:
            _out.print(f"B - A {name}: too little shown to compare", highlight=False)
            continue
        low, high = show(interval.low), show(interval.high)
        _out.print(f"B - A {name}: {show(interval.difference)} (95% CI {low} to {high})", highlight=False)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}"


def train(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Train from this CSV/CSV.GZ of purchase lines, not the database."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-back split the version is measured on.")] = 0,
    text: Annotated[
        bool, typer.Option("--text/--no-text", help="Read product text (--no-text: history only).")
    ] = True,
    promote_after: Annotated[
        bool,
        typer.Option("--promote", help="Serve it chain-wide after, unless worse than the served version."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --promote: serve it even if it is worse.")
    ] = False,
) -> None:
    """Train a recommender version on the chain's sales (or a file), measure it as served, save it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from models.data import DataFormatError, load_transactions
    from models.evaluation.served import train_version
    from models.versions import VersionStore
    from server.db.migrate import open_database
    from server.db.session import make_session_factory, session_scope
    from server.deployments.service import promote as serve
    from server.deployments.training import describe, sellable_skus, text_encoder, train_from_database

    settings = get_settings()
    err = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True)
    columns = (TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    started = time.perf_counter()
    try:
        engine = open_database(settings)
        sessions = make_session_factory(engine)
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=False) as bar:
            task = bar.add_task("reading sales", total=1.0)

            def step(stage: str, done: float) -> None:
                bar.update(task, description=stage, completed=done)

            if file is not None:
                tx = load_transactions(file)
                with session_scope(sessions) as session:
                    allowed = sellable_skus(session) or None
                folder = train_version(
                    tx,
                    settings.models_dir,
                    seed=seed,
                    source=str(file),
                    allowed_ids=allowed,
                    encoder=text_encoder() if text else None,
                    params={"use_text": text},
                    progress=step,
                )
            else:
                with session_scope(sessions) as session:
                    folder = train_from_database(
                        session,
                        settings.models_dir,
                        encoder=text_encoder() if text else None,
                        params={"use_text": text},
                        seed=seed,
                        progress=step,
                    )
        version = VersionStore(settings.models_dir).get(folder.name)
        out.print(f"[bold]{version.name}[/] trained in {time.perf_counter() - started:.0f} s → {folder}")
        for line in describe(version):
            out.print(f"  {line}")
        if promote_after:
            with session_scope(sessions) as session:
                serve(
                    session,
                    VersionStore(settings.models_dir),
                    version.name,
                    None,
                    None,
                    force,
                    settings.model_max_drop,
                )
            out.print(f"promoted: the chain now serves {version.name}")
    except (AisleError, DataFormatError, OSError) as exc:
        message = exc.message if isinstance(exc, AisleError) else str(exc)
        err.print(f"[bold red]error:[/] {message}")
        raise typer.Exit(2) from exc


models_app.command("train")(train)
