"""Which model version serves a member, promotions, rollbacks and A/B experiments between two versions.

A scope is a store or the whole chain; a store without a deployment of its own serves the chain's. Each
scope has at most one active row (the database refuses a second), so of two changes racing for a scope
one wins and the other is told so (409).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from models.versions import HEADLINE, ModelVersion, UnknownVersionError, VersionStore, regression
from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.base import money, utcnow
from server.db.tables import ModelDeployment
from server.db.tables.deployments import scope_of
from server.deployments import repository as repo
from server.deployments.stats import Interval, newcombe, sample_variance, welch

Arm = Literal["A", "B"]
RACE = (
    "another change to {where} was made at the same moment; see what serves now "
    "(GET /models/deployments, aisle models list) and try again"
)


@dataclass(frozen=True)
class Assignment:
    """The version a member is served with, and their arm while an experiment runs."""

    version: str | None
    arm: str | None = None
    experiment: str | None = None


def bucket(experiment: str, member_id: int) -> int:
    """The member's bucket 0..99 in an experiment: the same in every process, every day."""
    digest = hashlib.sha256(f"{experiment}:{member_id}".encode()).hexdigest()
    return int(digest, 16) % 100


def arm_of(experiment: str, member_id: int, share: int) -> Arm:
    """ "B" (the challenger) for `share` percent of members, "A" for the rest."""
    return "B" if bucket(experiment, member_id) < share else "A"


def assignment(session: Session, store_id: int | None, member_id: int) -> Assignment:
    """The store's active deployment, else the chain's; the member's arm when it runs an experiment."""
    rows = {row.scope: row for row in repo.active_for(session, store_id)}
    row = rows.get(scope_of(store_id)) or rows.get(scope_of(None))
    if row is None:
        return Assignment(None)
    if row.experiment is None or row.challenger is None:
        return Assignment(row.version)
    arm = arm_of(row.experiment, member_id, row.challenger_share)
    return Assignment(row.challenger if arm == "B" else row.version, arm, row.experiment)


def served_versions(session: Session) -> set[str]:
    """Every version an active deployment serves, incumbents and challengers (what the server loads)."""
    out = set()
    for row in repo.all_active(session):
        out.add(row.version)
        if row.challenger is not None:
            out.add(row.challenger)
    return out


@dataclass(frozen=True)
class Serving:
    """Where a version serves: a scope (store_id None = the chain), as incumbent or challenger."""

    store_id: int | None
    role: Literal["incumbent", "challenger"]
    experiment: str | None
    share: int  # percent of the scope's members


def servings(session: Session) -> dict[str, list[Serving]]:
    """version -> where it serves now."""
    out: dict[str, list[Serving]] = {}
    for row in repo.all_active(session):
        incumbent = 100 - row.challenger_share if row.challenger else 100
        out.setdefault(row.version, []).append(Serving(row.store_id, "incumbent", row.experiment, incumbent))
        if row.challenger is not None:
            serving = Serving(row.store_id, "challenger", row.experiment, row.challenger_share)
            out.setdefault(row.challenger, []).append(serving)
    return out


def deployments(session: Session, recent: int = 50) -> tuple[list[ModelDeployment], list[ModelDeployment]]:
    """The active rows (the chain's first) and the `recent` latest ended ones."""
    return repo.all_active(session), repo.recent(session, recent)


def describe_scope(store_id: int | None) -> str:
    """'the chain' or 'store 3'."""
    return "the chain" if store_id is None else f"store {store_id}"


def version_of(versions: VersionStore, name: str) -> ModelVersion:
    """The model version called `name` (404 if the models folder has none)."""
    try:
        return versions.get(name)
    except UnknownVersionError as exc:
        raise NotFound(f"{exc}; `aisle models list` or GET /models/versions shows the versions") from None


def scopes(session: Session, store_ids: Sequence[int] | None) -> list[int | None]:
    """The scopes a change applies to: the stores named, or the chain when none are (422 for a bad id)."""
    if store_ids is None:
        return [None]
    if not store_ids:
        raise InvalidInput("store_ids: empty; leave it out to change the whole chain")
    unique = sorted(set(store_ids))
    missing = repo.missing_stores(session, unique)
    if missing:
        raise InvalidInput(f"store_ids: no store {', '.join(map(str, missing))}")
    return list(unique)


def _served(session: Session, store_id: int | None) -> ModelDeployment | None:
    """The row serving a scope: its own, else (for a store) the chain's."""
    rows = {row.scope: row for row in repo.active_for(session, store_id)}
    return rows.get(scope_of(store_id)) or rows.get(scope_of(None))


def _replace(
    session: Session,
    current: ModelDeployment | None,
    new: ModelDeployment | None,
    reason: str,
    at: datetime,
    scope: str,
) -> None:
    """End the scope's active row (if it is its own) and insert the new one, or 409 on a lost race."""
    where = "the chain" if scope == scope_of(None) else f"store {scope.removeprefix('store:')}"
    if current is not None and current.scope == scope and not repo.end(session, current, at, reason):
        raise Conflict(RACE.format(where=where))
    if new is not None and not repo.add(session, new):
        raise Conflict(RACE.format(where=where))


def _drop(versions: VersionStore, candidate: ModelVersion, current: str) -> tuple[float, str]:
    """The candidate's relative drop of recall@10 against the served version, and the figures in words."""
    try:
        served = versions.get(current)
    except UnknownVersionError:
        return 0.0, f"{current} is no longer in the models folder: not compared"
    drop = regression(candidate, served, HEADLINE)
    a, b = served.metrics.get(HEADLINE), candidate.metrics.get(HEADLINE)
    change = f"{abs(drop):.1%} {'lower' if drop > 0 else 'higher'}" if drop else "the same"
    return drop, f"{HEADLINE} {_fig(b)} against {_fig(a)} of {current} ({change})"


def _fig(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _row(
    store_id: int | None, version: str, at: datetime, by: int | None, note: str, *, forced: bool = False
) -> ModelDeployment:
    """A new deployment row for a scope (no challenger)."""
    return ModelDeployment(
        store_id=store_id,
        scope=scope_of(store_id),
        version=version,
        challenger_share=0,
        started_at=at,
        started_by=by,
        forced=forced,
        note=note,
    )


def promote(
    session: Session,
    versions: VersionStore,
    version: str,
    store_ids: list[int] | None,
    by: int | None,
    force: bool,
    max_drop: float,
    *,
    now: datetime | None = None,
) -> list[ModelDeployment]:
    """Serve `version` in the stores named (or the chain), ending any experiment there; the new rows.

    Refused (409) when its recall@10 is more than `max_drop` (relative) below the served version's,
    unless `force`."""
    candidate = version_of(versions, version)
    at = now or utcnow()
    plans = []
    for store_id in scopes(session, store_ids):
        current = _served(session, store_id)
        where = describe_scope(store_id)
        own = current is not None and current.scope == scope_of(store_id)
        if own and current is not None and current.version == version and current.experiment is None:
            raise Conflict(f"{where} already serves {version}")
        note, forced = "", False
        if current is not None and current.version != version:
            drop, note = _drop(versions, candidate, current.version)
            if drop > max_drop and not force:
                raise Conflict(
                    f"{version} is worse than {current.version}, which {where} serves: {note}, where at most "
                    f"{max_drop:.1%} is allowed; force the promotion to make it anyway"
                )
            forced = drop > max_drop
        plans.append((store_id, current, note, forced))
    rows = []
    for store_id, current, note, forced in plans:
        row = _row(store_id, version, at, by, ("forced: " if forced else "") + note, forced=forced)
        _replace(session, current, row, "promoted", at, scope_of(store_id))
        rows.append(row)
    return rows


def rollback(
    session: Session, store_ids: list[int] | None, by: int | None, *, now: datetime | None = None
) -> list[ModelDeployment]:
    """Serve again, in each scope named, the version it served before the current one (409 if none)."""
    at = now or utcnow()
    plans = []
    for store_id in scopes(session, store_ids):
        scope, where = scope_of(store_id), describe_scope(store_id)
        current = repo.active(session, scope)
        if current is None:
            raise Conflict(f"{where} has no deployment of its own to roll back")
        history = repo.history(session, scope)
        earlier = next((r.version for r in history if r.version != current.version), None)
        if earlier is None:
            raise Conflict(f"{where} has served no version before {current.version}: nothing to roll back to")
        plans.append((store_id, current, earlier))
    rows = []
    for store_id, current, earlier in plans:
        row = _row(store_id, earlier, at, by, f"rolled back from {current.version}")
        _replace(session, current, row, "rolled_back", at, scope_of(store_id))
        rows.append(row)
    return rows


def start_experiment(
    session: Session,
    versions: VersionStore,
    challenger: str,
    share: int,
    store_ids: list[int] | None,
    by: int | None,
    *,
    now: datetime | None = None,
) -> list[ModelDeployment]:
    """Serve `challenger` to `share` percent of members (arm B) beside the incumbent; one row per scope.

    Every scope's row carries the same label, "ab-<id of the first row>"."""
    if not 1 <= share <= 99:
        raise InvalidInput(f"share: {share} is not a percentage from 1 to 99")
    version_of(versions, challenger)
    at = now or utcnow()
    plans = []
    for store_id in scopes(session, store_ids):
        current, where = _served(session, store_id), describe_scope(store_id)
        if current is None:
            raise Conflict(f"{where} serves no version yet: promote one before testing a challenger")
        if current.experiment is not None and current.scope == scope_of(store_id):
            raise Conflict(f"experiment {current.experiment} already runs in {where}; stop it first")
        if current.version == challenger:
            raise Conflict(f"{where} serves {challenger} already: a challenger must be another version")
        plans.append((store_id, current))
    rows: list[ModelDeployment] = []
    for store_id, current in plans:
        row = _row(store_id, current.version, at, by, f"{challenger} to {share}% of members")
        row.challenger, row.challenger_share = challenger, share
        _replace(session, current, row, "experiment", at, scope_of(store_id))
        rows.append(row)
    label = f"ab-{rows[0].id}"
    for row in rows:
        row.experiment = label
    session.flush()
    return rows


def _inherited(session: Session, row: ModelDeployment) -> bool:
    """Whether the scope served the chain's version when the experiment began (it had no row of its own)."""
    history = repo.history(session, row.scope)
    before = next((r for r, after in zip(history[1:], history, strict=False) if after.id == row.id), None)
    return before is None or before.end_reason != "experiment"


def stop_experiment(
    session: Session, experiment: str, keep: str, by: int | None, *, now: datetime | None = None
) -> list[ModelDeployment]:
    """End an experiment keeping arm A (the incumbent) or B (the challenger, promoted without the drop
    check: it was measured live); returns the rows that serve each scope now."""
    if keep not in ("A", "B"):
        raise InvalidInput(f"keep: {keep!r} is neither A (the incumbent) nor B (the challenger)")
    rows = repo.experiment_rows(session, experiment)
    if not rows:
        raise NotFound(f"no experiment {experiment!r}")
    running = [r for r in rows if r.ended_at is None]
    if not running:
        raise Conflict(f"experiment {experiment} has ended already")
    at = now or utcnow()
    out = []
    for row in running:
        inherited = _inherited(session, row)
        kept = row.challenger if keep == "B" and row.challenger is not None else row.version
        new = None
        if keep == "B" or not inherited:
            new = _row(row.store_id, kept, at, by, f"kept {keep} of {experiment}")
        _replace(session, row, new, "promoted" if keep == "B" else "stopped", at, row.scope)
        if new is not None:
            out.append(new)
    return out


@dataclass(frozen=True)
class ArmReport:
    """One arm of an experiment: what was shown, what came of it and the rates per shown."""

    arm: Arm
    version: str
    members: int
    shown: int
    accepted: int
    sold: int
    revenue: Decimal
    acceptance_rate: float | None
    sale_rate: float | None
    revenue_per_shown: float | None


@dataclass(frozen=True)
class ExperimentReport:
    """An experiment's arms side by side and the differences B - A with 95 % confidence intervals."""

    experiment: str
    incumbent: str
    challenger: str
    share: int
    store_ids: list[int | None]
    started_at: datetime
    ended_at: datetime | None
    arms: dict[str, ArmReport]
    differences: dict[str, Interval | None]  # acceptance_rate, sale_rate, revenue_per_shown


def _rate(part: int | Decimal, whole: int) -> float | None:
    return float(part) / whole if whole else None


def _arm(arm: Arm, version: str, counts: repo.ArmCounts | None) -> ArmReport:
    c = counts or repo.ArmCounts(arm, 0, 0, 0, 0, Decimal(0), Decimal(0))
    return ArmReport(
        arm=arm,
        version=version,
        members=c.members,
        shown=c.shown,
        accepted=c.accepted,
        sold=c.sold,
        revenue=money(c.revenue),
        acceptance_rate=_rate(c.accepted, c.shown),
        sale_rate=_rate(c.sold, c.shown),
        revenue_per_shown=_rate(c.revenue, c.shown),
    )


def experiment_report(session: Session, experiment: str) -> ExperimentReport:
    """Shown, accepted, sold and revenue per arm, and B - A of each rate with its 95 % interval (404 if
    there is no such experiment)."""
    rows = repo.experiment_rows(session, experiment)
    if not rows:
        raise NotFound(f"no experiment {experiment!r}")
    first = rows[0]
    counts = repo.arm_counts(session, experiment)
    a = counts.get("A") or repo.ArmCounts("A", 0, 0, 0, 0, Decimal(0), Decimal(0))
    b = counts.get("B") or repo.ArmCounts("B", 0, 0, 0, 0, Decimal(0), Decimal(0))
    mean_a, mean_b = _rate(a.revenue, a.shown) or 0.0, _rate(b.revenue, b.shown) or 0.0
    var_a = sample_variance(float(a.revenue), float(a.revenue_squares), a.shown)
    var_b = sample_variance(float(b.revenue), float(b.revenue_squares), b.shown)
    ended = [r.ended_at for r in rows if r.ended_at is not None]
    return ExperimentReport(
        experiment=experiment,
        incumbent=first.version,
        challenger=first.challenger or "",
        share=first.challenger_share,
        store_ids=[r.store_id for r in rows],
        started_at=min(r.started_at for r in rows),
        ended_at=max(ended) if len(ended) == len(rows) else None,
        arms={"A": _arm("A", first.version, a), "B": _arm("B", first.challenger or "", b)},
        differences={
            "acceptance_rate": newcombe(a.accepted, a.shown, b.accepted, b.shown),
            "sale_rate": newcombe(a.sold, a.shown, b.sold, b.shown),
            "revenue_per_shown": welch(mean_a, var_a, a.shown, mean_b, var_b, b.shown),
        },
    )
