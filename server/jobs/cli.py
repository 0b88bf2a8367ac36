"""`aisle jobs ...`: scheduled work, run from cron or a systemd timer."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import typer
from rich.console import Console

from server.config import get_settings
from server.core.errors import AisleError

jobs_app = typer.Typer(help="Scheduled work (run from cron or a systemd timer).", no_args_is_help=True)
_err = Console(stderr=True, soft_wrap=True)


def _moment(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        _err.print(
            f"[bold red]error:[/] --at {at!r} is not an ISO date and time, e.g. 2011-12-10T02:00:00+00:00"
        )
        raise typer.Exit(2) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@jobs_app.command("nightly")
def nightly(
    at: str | None = typer.Option(
        None, help="Run as of this time (ISO; UTC if no zone), e.g. to replay a night."
    ),
    model: bool = typer.Option(
        True,
        "--model/--no-model",
        help="Also train a recommender version on new sales and serve it unless it is worse "
        "(AISLE_MODEL_NIGHTLY_REBUILD=false turns this off).",
    ),
    share: bool = typer.Option(
        False,
        "--share",
        help="Share the night with every other `aisle jobs nightly --share` started for the same day: "
        "chunks of AISLE_NIGHTLY_CHUNK_MEMBERS members, each committed on its own; waits until all are "
        "done, then prints the whole night's report (the process that planned the night rebuilds the model).",
    ),
) -> None:
    """Expire points, review tiers, retag members, raise heat alerts and reminders, rebuild the
    recommender on new sales; prints a JSON report."""
    from server.db.migrate import open_database
    from server.db.session import make_session_factory, session_scope
    from server.jobs.nightly import run_nightly
    from server.jobs.shared import share_night

    now = _moment(at)
    settings = get_settings()
    try:
        engine = open_database(settings)
        sessions = make_session_factory(engine)
        rebuild = model and settings.model_nightly_rebuild
        if share:
            night = share_night(
                sessions,
                now,
                settings.nightly_chunk_members,
                pause=lambda: time.sleep(settings.nightly_poll_seconds),
            )
            document = night.as_dict()
            rebuild = rebuild and night.planned_here  # one rebuild a night, not one per worker
        else:
            with session_scope(sessions) as session:
                document = run_nightly(session, now).as_dict()
        if rebuild:
            from server.deployments.training import nightly_rebuild, text_encoder

            with session_scope(sessions) as session:  # its own unit of work: the loyalty steps are kept
                document["model"] = nightly_rebuild(
                    session, settings.models_dir, max_drop=settings.model_max_drop, encoder=text_encoder()
                )
    except AisleError as exc:
        _err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(document, default=str))


@jobs_app.command("backfill-loyalty")
def backfill(
    at: str | None = typer.Option(
        None, help="Apply transactions up to this time (ISO); default: the day after the data ends, or now."
    ),
    nightly_after: bool = typer.Option(
        False, "--nightly/--no-nightly", help="Run the nightly pass as of the same moment afterwards."
    ),
) -> None:
    """Apply every imported transaction, oldest first, to points and tiers (idempotent); prints JSON."""
    from server.db.migrate import open_database
    from server.db.session import make_session_factory, session_scope
    from server.jobs.catch_up import data_as_of
    from server.jobs.nightly import run_nightly
    from server.loyalty.backfill import backfill_loyalty

    settings = get_settings()
    try:
        engine = open_database(settings)
        with session_scope(make_session_factory(engine)) as session:
            moment = _moment(at) if at is not None else data_as_of(session)
            if moment is None:
                typer.echo(json.dumps({"transactions": 0, "note": "no transactions in the database"}))
                return
            report: dict[str, object] = {
                "as_of": moment.isoformat(),
                **backfill_loyalty(session, moment).as_dict(),
            }
            if nightly_after:
                report["nightly"] = run_nightly(session, moment).as_dict()
    except AisleError as exc:
        _err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(report, default=str))
