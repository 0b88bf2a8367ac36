"""Journeys over HTTP: list, validate, save drafts, publish, pause, switch per store, simulate, report."""

from __future__ import annotations

from fastapi import APIRouter, status

from server.auth.deps import CurrentStaff
from server.automations import service
from server.automations.engine import EngineSettings
from server.automations.lift import Lift
from server.automations.schemas import (
    ArmRead,
    AudienceCount,
    AudiencePreview,
    DefinitionCheck,
    JourneyCreate,
    JourneyRead,
    JourneyUpdate,
    LiftRead,
    ReportRead,
    SimStepRead,
    SimulateRequest,
    SimulationRead,
    SwitchRead,
    SwitchWrite,
    VersionRead,
)
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import ContextDep, SessionDep
from server.db.tables import Journey, JourneyVersion

router = APIRouter(prefix="/journeys", tags=["automations"])


def engine_settings(context: ContextDep) -> EngineSettings:
    """The chain's control-group settings."""
    s = context.settings
    return EngineSettings(
        salt=s.automations_holdout_salt,
        global_holdout_percent=s.automations_global_holdout_percent,
        step_batch=s.automations_step_batch,
    )


def _read(session: SessionDep, journey: Journey) -> JourneyRead:
    live = session.get(JourneyVersion, journey.live_version_id) if journey.live_version_id else None
    return JourneyRead(
        id=journey.id,
        slug=journey.slug,
        name_zh=journey.name_zh,
        name_en=journey.name_en,
        store_id=journey.store_id,
        status=journey.status,  # type: ignore[arg-type]
        per_store_switch=journey.per_store_switch,
        live_version=live.version if live else None,
        draft=journey.draft,
        live=live.definition if live else None,
        switched_on=sorted(s for s, on in service.switches(session, journey.id).items() if on),
        updated_at=journey.updated_at,
    )


def _lift(x: Lift) -> LiftRead:
    return LiftRead(
        enough_data=x.enough,
        reason=x.reason,
        conversion_lift=x.conversion_lift,
        conversion_low=x.conversion_low,
        conversion_high=x.conversion_high,
        relative_lift=x.relative_lift,
        revenue_lift=x.revenue_lift,
        revenue_low=x.revenue_low,
        revenue_high=x.revenue_high,
    )


@router.get("")
def list_journeys(caller: CurrentStaff, session: SessionDep, now: NowDep) -> list[JourneyRead]:
    """The chain's journeys (the seed journeys among them, switched off until a store turns one on) and
    the caller's stores'."""
    return [_read(session, j) for j in service.list_journeys(session, caller, now)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_journey(
    body: JourneyCreate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> JourneyRead:
    """Save a new journey as a draft (422 naming the place of an error in the definition)."""
    journey = service.create(
        session,
        caller,
        slug=body.slug,
        name_zh=body.name_zh,
        name_en=body.name_en,
        store_id=body.store_id,
        per_store_switch=body.per_store_switch,
        definition=body.definition,
        now=now,
    )
    return _read(session, journey)


@router.post("/validate")
def validate_definition(
    body: DefinitionCheck, caller: CurrentStaff, session: SessionDep
) -> dict[str, object]:
    """Check a definition without saving it: 200 with it as it would be saved, or 422 with the reason."""
    return service.check(session, body.definition).model_dump(mode="json", exclude_none=True)


@router.post("/audience")
def audience_size(
    body: AudiencePreview, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> AudienceCount:
    """How many members a campaign's rule selects now (in the caller's stores)."""
    return AudienceCount(members=service.campaign_audience(session, caller, body.rule, body.store_id, now))


@router.get("/{journey_id}")
def get_journey(journey_id: Id, caller: CurrentStaff, session: SessionDep) -> JourneyRead:
    """One journey."""
    return _read(session, service.get(session, caller, journey_id))


@router.put("/{journey_id}")
def update_journey(
    journey_id: Id, body: JourneyUpdate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> JourneyRead:
    """Replace the draft; members in the journey stay on the version they entered."""
    journey = service.update_draft(
        session, caller, journey_id, body.definition, now, body.name_zh, body.name_en
    )
    return _read(session, journey)


@router.get("/{journey_id}/versions")
def list_versions(journey_id: Id, caller: CurrentStaff, session: SessionDep) -> list[VersionRead]:
    """Published versions, newest first."""
    journey = service.get(session, caller, journey_id)
    rows = session.query(JourneyVersion).filter(JourneyVersion.journey_id == journey.id)
    return [
        VersionRead(
            version=v.version,
            definition=v.definition,
            published_by_id=v.published_by_id,
            published_at=v.published_at,
        )
        for v in sorted(rows, key=lambda v: -v.version)
    ]


@router.post("/{journey_id}/publish")
def publish_journey(journey_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> JourneyRead:
    """Publish the draft as the next version; new members enter it from now on."""
    version = service.publish(session, caller, journey_id, now)
    return _read(session, service.get(session, caller, version.journey_id))


@router.post("/{journey_id}/pause")
def pause_journey(journey_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> JourneyRead:
    """Nobody new enters and waiting steps hold until it is resumed."""
    return _read(session, service.set_status(session, caller, journey_id, "paused", now))


@router.post("/{journey_id}/resume")
def resume_journey(journey_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> JourneyRead:
    """Run a paused journey again."""
    return _read(session, service.set_status(session, caller, journey_id, "active", now))


@router.put("/{journey_id}/stores/{store_id}")
def switch_store(
    journey_id: Id, store_id: Id, body: SwitchWrite, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> SwitchRead:
    """Switch a chain journey on or off for one store (its manager, or an admin)."""
    row = service.switch(session, caller, journey_id, store_id, body.enabled, now)
    return SwitchRead(journey_id=row.journey_id, store_id=row.store_id, enabled=row.enabled)


@router.post("/{journey_id}/simulate")
def simulate_journey(
    journey_id: Id,
    body: SimulateRequest,
    caller: CurrentStaff,
    session: SessionDep,
    now: NowDep,
    context: ContextDep,
) -> SimulationRead:
    """Walk one member through the journey from a given moment, doing nothing: each step and its time."""
    sim = service.simulate(
        session, caller, journey_id, body.member_id, body.at or now, engine_settings(context), body.draft
    )
    return SimulationRead(
        member_id=sim.member_id,
        version=sim.version,
        enters=sim.enters,
        reason=sim.reason,
        arm=sim.arm,
        steps=[
            SimStepRead(node=s.node, type=s.type, at=s.at, does=s.does, branch=s.branch) for s in sim.steps
        ],
    )


@router.get("/{journey_id}/report")
def journey_report(journey_id: Id, caller: CurrentStaff, session: SessionDep, now: NowDep) -> ReportRead:
    """Entered per arm, each step's outcomes, conversion per arm and the lift over each control group."""
    r = service.report(session, caller, journey_id, now)
    return ReportRead(
        journey_id=r.journey_id,
        entered=r.entered,
        by_status=r.by_status,
        steps=r.steps,
        arms={
            a: ArmRead(
                members=x.members,
                converted=x.converted,
                conversion_rate=x.rate,
                revenue_per_member=x.revenue_per_member,
            )
            for a, x in r.arms.items()
        },
        against_holdout=_lift(r.against_holdout),
        against_global=_lift(r.against_global),
    )
