"""`aisle demo`: a demo database with data, staff and VIPs, then the API on 127.0.0.1:8000."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from server.demo.generator import DEFAULT_SEED

if TYPE_CHECKING:
    from server.demo.service import DemoReport

out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays one line


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

    settings = get_settings()
    try:
        if fresh:
            removed = service.delete_demo_database(settings)
            out.print(f"Deleted the demo database {removed}")
        context = service.open_demo_database(settings)
        url = context.engine.url.render_as_string(hide_password=True)
        out.print(f"Database: {url}")
        report = service.set_up_demo(context, data=data, generate=generate, seed=seed, progress=serve)
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
    out.print(f"\nAPI docs: [bold]http://{host}:{port}/docs[/]  (sign in with POST /api/v1/auth/token)")
    if not serve:
        return
    import uvicorn

    from server.app import SERVE_OPTIONS, create_app
    from server.core.serving import serve_until_stopped

    app = create_app(settings, context=context)
    app.state.clock_offset = _clock_offset(report)
    config = uvicorn.Config(app, host=host, port=port, **SERVE_OPTIONS)  # type: ignore[arg-type]
    serve_until_stopped(uvicorn.Server(config))  # Ctrl-C or SIGTERM: a graceful stop, exit status 0


def _clock_offset(report: DemoReport) -> timedelta | None:
    """For historical data, run the business clock from the day after the data ends (time still runs)."""
    as_of = report.loyalty.as_of if report.loyalty else None
    now = datetime.now(UTC)
    return as_of - now if as_of is not None and now - as_of > timedelta(days=2) else None


def _print_report(report: DemoReport) -> None:
    if report.source == "generated":
        what = "Generated demo chain"
    else:
        what = f"Development data {report.source}"
    if report.added:
        added = ", ".join(f"{count} {kind}" for kind, count in report.added.items())
        out.print(f"{what}: added {added}")
    else:
        out.print(f"{what}: already in the database, nothing added")
    if report.rejected:
        out.print(f"[yellow]{report.rejected} source lines were rejected; see {report.reject_file}[/]")
    if report.identities_added:
        out.print(f"Gave {report.identities_added} imported members a demo phone, card number and QR token")
    if report.vips_assigned:
        out.print(f"Assigned {report.vips_assigned} VIP members to their store's consultant")
    _print_loyalty(report)
    out.print(f"Ready in {report.seconds:.1f} s")

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
    done = loyalty.backfill
    if done.transactions:
        out.print(
            f"Loyalty: applied {done.transactions} transactions of {done.members} members to points and "
            f"tiers ({done.tier_changes} tier changes) in {done.seconds:.1f} s"
        )
    if loyalty.nightly is not None:
        out.print(f"Ran the nightly pass (points expiry, tier review, tags, alerts) as of {day}")
    else:
        out.print(f"Loyalty is up to date as of {day}")
    if _clock_offset(report) is not None:
        last = (loyalty.as_of - timedelta(days=1)).date().isoformat()
        out.print(f"The data ends on {last}: the demo server's clock starts on {day} and runs on from there")
