"""Model versions, which store each serves, promotions, rollbacks and A/B experiments (HQ only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from models.versions import compare
from server.auth.deps import CurrentStaff
from server.core.deps import ContextDep, SessionDep
from server.db.tables import ModelDeployment
from server.deployments import service
from server.deployments.deps import VersionsDep
from server.deployments.schemas import (
    ArmRead,
    ChangeRead,
    ComparisonRead,
    DeploymentRead,
    DeploymentsRead,
    DifferenceRead,
    ExperimentCreate,
    ExperimentReportRead,
    ExperimentStop,
    MetricComparison,
    PromoteRequest,
    RollbackRequest,
    ServingRead,
    VersionRead,
    finite,
)
from server.deployments.stats import Interval

router = APIRouter(tags=["models"])
VersionPath = Annotated[str, Path(min_length=1, max_length=120, description="A version's name.")]
ExperimentPath = Annotated[str, Path(min_length=1, max_length=40, description="e.g. ab-12.")]


def _change(rows: list[ModelDeployment]) -> ChangeRead:
    experiment = next((r.experiment for r in rows if r.experiment), None)
    return ChangeRead(experiment=experiment, deployments=[DeploymentRead.model_validate(r) for r in rows])


@router.get("/models/versions")
def list_versions(session: SessionDep, versions: VersionsDep, caller: CurrentStaff) -> list[VersionRead]:
    """Every trained version, newest first, with its held-back metrics and where it serves now."""
    where = service.servings(session)
    return [
        VersionRead(
            name=v.name,
            created_at=v.created_at,
            method=v.method,
            params=v.params,
            data=v.data,
            code_version=v.code_version,
            metrics=v.metrics,
            served_in=[ServingRead(**s.__dict__) for s in where.get(v.name, [])],
        )
        for v in versions.versions()
    ]


@router.get("/models/versions/{a}/compare/{b}")
def compare_versions(
    a: VersionPath, b: VersionPath, versions: VersionsDep, caller: CurrentStaff
) -> ComparisonRead:
    """The metrics both versions have, side by side, with the ratio b / a."""
    first, second = service.version_of(versions, a), service.version_of(versions, b)
    metrics = {
        name: MetricComparison(a=finite(m["a"]), b=finite(m["b"]), ratio=finite(m["ratio"]))
        for name, m in compare(first, second).items()
    }
    return ComparisonRead(a=a, b=b, metrics=metrics)


@router.get("/models/deployments")
def list_deployments(
    session: SessionDep,
    caller: CurrentStaff,
    recent: Annotated[int, Query(ge=0, le=500, description="How many ended rows to show.")] = 50,
) -> DeploymentsRead:
    """What each scope serves now, and the latest changes."""
    active, ended = service.deployments(session, recent)
    return DeploymentsRead(
        active=[DeploymentRead.model_validate(r) for r in active],
        recent=[DeploymentRead.model_validate(r) for r in ended],
    )


@router.post("/models/promote")
def promote(
    body: PromoteRequest,
    session: SessionDep,
    versions: VersionsDep,
    context: ContextDep,
    caller: CurrentStaff,
) -> ChangeRead:
    """Serve a version in the stores named (or the chain); 409 when its recall@10 is too much worse."""
    rows = service.promote(
        session,
        versions,
        body.version,
        body.store_ids,
        by=caller.id,
        force=body.force,
        max_drop=context.settings.model_max_drop,
    )
    return _change(rows)


@router.post("/models/rollback")
def rollback(body: RollbackRequest, session: SessionDep, caller: CurrentStaff) -> ChangeRead:
    """Serve again the version served before the current one (409 when there is none)."""
    return _change(service.rollback(session, body.store_ids, by=caller.id))


@router.post("/models/experiments", status_code=status.HTTP_201_CREATED)
def start_experiment(
    body: ExperimentCreate, session: SessionDep, versions: VersionsDep, caller: CurrentStaff
) -> ChangeRead:
    """Serve a challenger to a share of members beside the incumbent; the answer names the experiment."""
    rows = service.start_experiment(
        session, versions, body.challenger, body.share, body.store_ids, by=caller.id
    )
    return _change(rows)


@router.post("/models/experiments/{experiment}/stop")
def stop_experiment(
    experiment: ExperimentPath, body: ExperimentStop, session: SessionDep, caller: CurrentStaff
) -> ChangeRead:
    """End an experiment keeping arm A (the incumbent) or B (the challenger is promoted)."""
    return _change(service.stop_experiment(session, experiment, body.keep, by=caller.id))


def _difference(interval: Interval | None, method: str, digits: int) -> DifferenceRead | None:
    if interval is None:
        return None
    return DifferenceRead(
        difference=round(interval.difference, digits),
        low=round(interval.low, digits),
        high=round(interval.high, digits),
        method=method,
    )


@router.get("/models/experiments/{experiment}/report")
def experiment_report(
    experiment: ExperimentPath, session: SessionDep, caller: CurrentStaff
) -> ExperimentReportRead:
    """Per arm: shown, accepted, sold, revenue and rates; B - A of each rate with a 95 % interval."""
    report = service.experiment_report(session, experiment)
    arms = {
        name: ArmRead(
            arm=arm.arm,
            version=arm.version,
            members=arm.members,
            shown=arm.shown,
            accepted=arm.accepted,
            sold=arm.sold,
            revenue=float(arm.revenue),
            acceptance_rate=finite(arm.acceptance_rate),
            sale_rate=finite(arm.sale_rate),
            revenue_per_shown=finite(arm.revenue_per_shown, 2),
        )
        for name, arm in report.arms.items()
    }
    methods = {"acceptance_rate": "newcombe", "sale_rate": "newcombe", "revenue_per_shown": "welch"}
    return ExperimentReportRead(
        experiment=report.experiment,
        incumbent=report.incumbent,
        challenger=report.challenger,
        share=report.share,
        store_ids=report.store_ids,
        started_at=report.started_at,
        ended_at=report.ended_at,
        arms=arms,
        differences={
            key: _difference(value, methods[key], 2 if key == "revenue_per_shown" else 4)
            for key, value in report.differences.items()
        },
    )
