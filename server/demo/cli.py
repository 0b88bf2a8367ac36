"""`aisle demo`: a demo database with data, staff and VIPs, then the API on 127.0.0.1:8000."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from server.demo.generator import DEFAULT_SEED
from server.demo.steps import Done, Steps

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from server.core.context import AppContext
    from server.demo.service import DemoReport

out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays one line
READY_POLL_SECONDS = 0.1
NOT_READY_EVERY_SECONDS = 15.0  # while the server is up but not ready, say why this often


class ConsoleSteps(Steps):
    """Each step as it runs: a spinner with the time so far on a terminal (else a line saying what it
    starts), then one line saying what it did and how long it took."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def step(self, doing: str, *, live: bool = True) -> Iterator[Done]:
        said: list[str] = []
        started = time.perf_counter()
        spinner: Progress | None = None
        if live and self.console.is_terminal:
            spinner = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            spinner.add_task(f"{doing}…", total=None)
            spinner.start()
        else:
            self.console.print(f"{doing}…")
        try:
            yield said.append
        finally:
            if spinner is not None:
                spinner.stop()
        self.console.print(
            f"{said[-1] if said else doing + ': done'} in {time.perf_counter() - started:.1f} s"
        )


def demo(
    data: Annotated[
        Path | None,
        typer.Option(help="Online Retail file to import (default: ../shared/data/online_retail/)."),
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a demo chain, do not import.")
    ] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the demo SQLite database first.")] = False,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API once set up.")] = True,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default AISLE_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default AISLE_PORT or 8000).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated demo chain.")] = DEFAULT_SEED,
) -> None:
    """Set up a demo store (imported or generated data, staff, VIPs) and serve the API."""
    from server.config import get_settings
    from server.core.errors import AisleError
    from server.demo import service

    clock = time.perf_counter()
    settings = get_settings()
    steps = ConsoleSteps(out)
    try:
        if fresh:
            removed = service.delete_demo_database(settings)
            out.print(f"Deleted the demo database {removed}")
        context = service.open_demo_database(settings)
        url = context.engine.url.render_as_string(hide_password=True)
        out.print(f"Database: {url}")
        report = service.set_up_demo(
            context, data=data, generate=generate, seed=seed, progress=err.is_terminal, steps=steps
        )
    except service.OtherChain as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from exc
    except AisleError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(2) from exc
    _print_report(report)
    from server.demo.first_look import write_first_look

    written = write_first_look(settings.data_dir, report)
    if written is not None:
        out.print(f"The README's first look reads its clerk and member from {written}")
    host, port = host or settings.host, port or settings.port
    if serve:
        _warm_recommender(context, steps, service.clock_offset(report))
    out.print(f"\nAPI docs: [bold]http://{host}:{port}/docs[/]  (sign in with POST /api/v1/auth/token)")
    if not serve:
        return
    import uvicorn

    from server.app import SERVE_OPTIONS, create_app
    from server.core.serving import serve_until_stopped

    app = create_app(settings, context=context)
    app.state.clock_offset = service.clock_offset(report)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **SERVE_OPTIONS))  # type: ignore[arg-type]
    url = f"http://{host}:{port}"
    threading.Thread(
        target=say_when_ready, args=(server, app, url, clock), name="aisle-demo-ready", daemon=True
    ).start()
    serve_until_stopped(server)  # Ctrl-C or SIGTERM: a graceful stop, exit status 0


def _warm_recommender(context: AppContext, steps: Steps, offset: timedelta | None) -> None:
    """Build the recommender and run it once, with a first arrival's profile and card rehearsed at the
    demo's business clock (`offset`), before serving, so the first arrival is served at full speed.

    The server's start-up would do it too (in the background); done here it shows as a step, and the
    server starts with it built. A failure is reported and the server still starts: GET /health/ready
    then says why it is not ready, and the server keeps trying.
    """
    from sqlalchemy import func, select

    from server.arrivals.rehearsal import rehearse_on_warm_up
    from server.core.clock import shifted_now
    from server.core.heap import long_lived_build
    from server.db.tables import Product
    from server.recommendations.engine import holder_for

    # The model's own "Loading weights" bar would draw over the step's spinner.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with context.engine.connect() as conn:
        products = conn.scalar(
            select(func.count(Product.id)).where(Product.active.is_(True), Product.is_merchandise.is_(True))
        )
    doing = f"Recommender: indexing {products} products, loading the model (new products are embedded once)"
    rehearse_on_warm_up(context, lambda: shifted_now(offset))
    try:
        _first_model_version(context, steps)
        with steps.step(doing) as done, long_lived_build():
            recommender = holder_for(context).warm_up()
            done(f"Recommender: {len(recommender.catalog)} products indexed, model loaded and warmed up")
    except Exception as exc:  # the server starts anyway and keeps trying; /health/ready says why
        err.print(f"[bold red]error:[/] the recommender could not be built: {exc}")


def _first_model_version(context: AppContext, steps: Steps) -> None:
    """With no recommender version serving yet, train one on the chain's sales as a step of its own."""
    from server.deployments.service import served_versions
    from server.recommendations.engine import holder_for

    with context.sessions() as session:
        if served_versions(session):
            return
    doing = "Recommender version: training the first one on the members' sales (a minute or two)"
    with steps.step(doing) as done:
        name = holder_for(context).shelf.bootstrap()
        done(
            f"Recommender version {name} trained and serving the chain (`aisle models train` measures one)"
            if name
            else "Recommender version: no member sales to learn from yet (best-sellers until there are)"
        )


def say_when_ready(server: uvicorn.Server, app: FastAPI, url: str, since: float) -> None:
    """Print "Ready" once the server accepts connections and GET /health/ready would answer 200.

    Until then, every `NOT_READY_EVERY_SECONDS`, print what it still waits for. Runs on its own thread
    beside uvicorn; stops when the server does.
    """
    from server.health.readiness import ready_now

    remind_at = time.monotonic() + NOT_READY_EVERY_SECONDS
    while not server.should_exit:
        if server.started:  # listening: the lifespan's start-up has finished
            try:
                report = ready_now(app)
            except Exception:  # the loop closing under a stopping server, or a slow database: ask again
                report = None
            if report is not None and report.status == "ready":
                out.print(
                    f"[bold green]Ready[/] in {time.perf_counter() - since:.1f} s: {url} serves the first "
                    "arrival at full speed"
                )
                return
            if report is not None and time.monotonic() >= remind_at:
                out.print(f"[yellow]Not ready yet:[/] {'; '.join(report.reasons)}")
                remind_at = time.monotonic() + NOT_READY_EVERY_SECONDS
        time.sleep(READY_POLL_SECONDS)


def _print_report(report: DemoReport) -> None:
    """What set-up found and did, beyond the steps printed as they ran (ConsoleSteps)."""
    if report.source == "generated":
        what = "Generated demo chain"
    else:
        what = f"Development data {report.source}"
    if not report.added:
        out.print(f"{what}: already in the database, nothing added")
    if report.rejected:
        out.print(f"[yellow]{report.rejected} source lines were rejected; see {report.reject_file}[/]")
    if report.identities_added:
        out.print(f"Gave {report.identities_added} imported members a demo phone, card number and QR token")
    if report.vips_assigned:
        out.print(f"Assigned {report.vips_assigned} VIP members to their store's consultant")
    _print_loyalty(report)
    out.print(f"Set up in {report.seconds:.1f} s")

    staff = Table(title="Demo staff (local demo passwords: change them for anything real)")
    for column in ("login", "password", "role", "store"):
        staff.add_column(column)
    for status in report.accounts:
        account = status.account
        password = account.password if status.password_is_demo else "(changed, kept)"
        staff.add_row(account.login, password, account.role.value, account.store_name)
    out.print(staff)

    members = Table(title="Members to try (look up by phone or card)")
    for column in ("name", "phone", "card", "home store"):
        members.add_column(column)
    for member in report.members:
        members.add_row(member.name, member.phone, member.card, member.store)
    out.print(members)


def _print_loyalty(report: DemoReport) -> None:
    loyalty = report.loyalty
    if loyalty is None or loyalty.as_of is None:
        return
    day = loyalty.as_of.date().isoformat()
    if loyalty.nightly is None:  # else the backfill and the nightly pass were printed as they ran
        out.print(f"Loyalty is up to date as of {day}")
    from server.demo.service import clock_offset

    if clock_offset(report) is not None:
        last = (loyalty.as_of - timedelta(days=1)).date().isoformat()
        out.print(f"The data ends on {last}: the demo server's clock starts on {day} and runs on from there")
