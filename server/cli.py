"""The `aisle` command line: serve, worker, demo, import, app, db."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from server.config import get_settings
from server.core.errors import AisleError
from server.demo.cli import demo
from server.deployments.cli import models_app
from server.importer.cli import import_app
from server.jobs.cli import jobs_app


def _flags_show_no_metavar() -> None:
    """Show no value placeholder after a flag in `--help`.

    Typer 0.29 writes each option's type after it in the help panel, flags included: `--fresh <bool>`,
    `--serve / --no-serve <bool>`, `--help <bool>`, as if each took a value. A flag takes none, so its
    row shows none (click's plain help already leaves it out). Applied once, to every `aisle` command.
    """
    from typer.core import TyperOption

    if getattr(TyperOption.display_type_rich, "_aisle_flags", False):
        return
    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag or self.count else shown(self, ctx)

    display_type_rich._aisle_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign,assignment]


_flags_show_no_metavar()
app = typer.Typer(help="Aisle: clienteling for physical retail stores.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(jobs_app, name="jobs")
app.add_typer(models_app, name="models")
app.command("demo")(demo)
err = Console(stderr=True, soft_wrap=True)  # an error stays one line, however narrow the terminal


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _engine() -> Engine:
    from server.db.migrate import open_database

    return open_database(get_settings(), upgrade_schema=False)


def main() -> None:
    """Entry point of the `aisle` script: a failure the user can fix is one line, not a traceback."""
    try:
        app()
    except AisleError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        raise SystemExit(2) from None
    except OSError as exc:  # a file or folder the user named that cannot be read or written
        err.print(f"[bold red]error:[/] {describe_os_error(exc)}")
        raise SystemExit(1) from None


def describe_os_error(exc: OSError) -> str:
    """'Permission denied: /path' rather than a traceback."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default AISLE_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default AISLE_PORT or 8000)."),
    migrate: bool = typer.Option(True, help="Bring the database schema up to date first."),
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from server.app import SERVE_OPTIONS, create_app
    from server.core.context import AppContext
    from server.core.serving import serve_until_stopped
    from server.db import migrate as migrations

    settings = get_settings()
    context = AppContext.from_settings(settings)
    if migrate:
        migrations.upgrade(context.engine)
    app = create_app(settings, context=context)
    config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port, **SERVE_OPTIONS)  # type: ignore[arg-type]
    serve_until_stopped(uvicorn.Server(config))


@app.command()
def worker(
    once: bool = typer.Option(False, help="One round (claim, send, reconcile) and exit."),
    migrate: bool = typer.Option(False, help="Bring the database schema up to date first."),
) -> None:
    """Send the outbox's messages (a chain runs several; its servers set AISLE_MESSAGING_DISPATCHER=false)."""
    from server.core.context import AppContext
    from server.db import migrate as migrations
    from server.jobs.worker import work

    context = AppContext.from_settings(get_settings())
    if migrate:
        migrations.upgrade(context.engine)
    handled = work(context, once=once)
    err.print(f"{handled} messages sent or judged")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from server.db import migrate

    migrate.upgrade(_engine(), revision)


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base' for none.")) -> None:
    """Take the schema back to REVISION."""
    from server.db import migrate

    migrate.downgrade(_engine(), revision)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    from server.db import migrate

    typer.echo(migrate.current_revision(_engine()) or "empty (no migrations applied)")


@app.command("app")
def run_app() -> None:
    """Start the clerk's phone app on this desktop."""
    from importlib.util import find_spec

    entry = Path(__file__).resolve().parent.parent / "mobile_app" / "main.py"
    if not entry.exists():
        raise fail("the phone app is not built yet (see the mobile app issue)", code=1)
    if find_spec("kivy") is None:
        raise fail("the phone app needs Kivy: pip install -e '.[app]'", code=1)
    # Its own process: Kivy reads sys.argv and owns the main thread; the CLI only waits for it.
    env = {**os.environ, "KIVY_NO_ARGS": "1"}
    raise typer.Exit(subprocess.call([sys.executable, "-m", "mobile_app"], env=env))
