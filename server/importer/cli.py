"""`aisle import ...`: load retail data sets into the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from server.config import get_settings
from server.core.errors import AisleError
from server.core.words import counted

import_app = typer.Typer(help="Import retail data (members, products, transactions).", no_args_is_help=True)
_err = Console(stderr=True, soft_wrap=True)


@import_app.command("online-retail")
def online_retail(
    path: Annotated[
        Path, typer.Argument(help="The Online Retail (or Online Retail II) file: CSV, CSV.GZ or XLSX.")
    ],
    timezone: Annotated[
        str, typer.Option(help="Time zone of the invoice times (the stores' local time).")
    ] = ("Europe/London"),
    rejects: Annotated[
        Path | None, typer.Option(help="CSV file for rejected lines (default: <data dir>/imports/...).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the summary, as one JSON line.")
    ] = False,
) -> None:
    """Import members, products, stores and transactions; safe to re-run (adds only what is missing)."""
    from server.db.base import utcnow
    from server.db.migrate import open_database
    from server.importer.service import import_online_retail

    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        _err.print(f"[bold red]error:[/] {path} {what}: give the Online Retail CSV, CSV.GZ or XLSX file")
        raise typer.Exit(2)
    settings = get_settings()
    if rejects is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        rejects = settings.data_dir / "imports" / f"{path.name.split('.')[0]}.{stamp}.rejects.csv"
    try:
        engine = open_database(settings)
        summary = import_online_retail(
            engine, path, timezone=timezone, reject_path=rejects, progress=not as_json and _err.is_terminal
        )
    except AisleError as exc:
        _err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
        return
    s = summary
    typer.echo(
        f"{counted(s.lines_read, 'line')} read: {counted(s.transactions_added, 'transaction')} "
        f"({counted(s.lines_added, 'line')}), {counted(s.members_added, 'member')}, "
        f"{counted(s.products_added, 'product')}, {counted(s.stores_added, 'store')} added; "
        f"{counted(s.cancellations_linked, 'cancellation')} linked; "
        f"{counted(s.already_imported, 'invoice was', 'invoices were')} already imported ({s.seconds:.1f} s)."
    )
    if s.rejected:
        typer.echo(f"{counted(s.rejected, 'line')} rejected, see {s.reject_file}")
    else:
        typer.echo("No lines rejected.")
